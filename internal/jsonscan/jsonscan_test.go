package jsonscan

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSplitArray(t *testing.T) {
	tests := []struct {
		name string
		json string
		ok   bool
	}{
		{"empty", `[]`, true},
		{"empty with space", " [ \n ] ", true},
		{"values of every kind", `[1,-2.5e3,"x",true,false,null,{},[],{"a":[1,{"b":"]}"}]},["[",{"\"":"\\"}]]`, true},
		{"spaced", "[ {\"id\" : \"a\"} ,\n\t{\"id\":\"b\"} ]", true},
		{"not a list", `{"a":1}`, false},
		{"a string", `"[1]"`, false},
		{"unclosed", `[1,2`, false},
		{"trailing comma", `[1,]`, false},
		{"missing comma", `[1 2]`, false},
		{"trailing bytes", `[1] x`, false},
		{"unclosed string", `["abc]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := SplitArray([]byte(tt.json))
			if ok != tt.ok {
				t.Fatalf("ok = %t, want %t (items %q)", ok, tt.ok, got)
			}
			if !ok {
				return
			}
			var want []json.RawMessage
			if err := json.Unmarshal([]byte(tt.json), &want); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d items, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i], want[i]) {
					t.Fatalf("item %d = %s, want %s", i, got[i], want[i])
				}
			}
		})
	}
}

var validCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1.5e-3`, ` 42 `, `true`, `null`, `{"a":[1,{"b":"\u00e9\n"}],"c":null}`, "\"\xff\"",
	``, ` `, `{`, `{"a"}`, `{"a":1,}`, `[1,]`, `01`, `1.`, `-`, `+1`, `tru`, `"\x"`, "\"a\tb\"", `[1] [2]`, `{} x`, `NaN`,
}

// TestValidAgreesWithEncodingJSON: Valid is json.Valid, faster.
func TestValidAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range validCases {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %t, json.Valid %t", s, got, want)
		}
	}
	for _, depth := range []int{MaxNestingDepth, MaxNestingDepth + 1} {
		s := []byte(strings.Repeat("[", depth) + strings.Repeat("]", depth))
		if got, want := Valid(s), json.Valid(s); got != want {
			t.Errorf("%d levels: Valid %t, json.Valid %t", depth, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range validCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Fatalf("Valid(%q) = %t, json.Valid %t", s, got, want)
		}
	})
}

// TestValueEnd holds the boundary finder the scanners use to values of every
// kind, followed by what may come after them, and to malformed ones.
func TestValueEnd(t *testing.T) {
	tests := []struct {
		name  string
		value string
		rest  string
		ok    bool
	}{
		{"number", `-2.5e3`, `,`, true},
		{"literal at the end", `true`, ``, true},
		{"string with escapes", `"a\"]}"`, `x`, true},
		{"empty list", `[]`, ` `, true},
		{"nested values of every kind", `[1,-2.5e3,"x",true,false,null,{},[],{"a":[1,{"b":"]}"}]},["[",{"\"":"\\"}]]`, ` tail`, true},
		{"object with brackets in strings", `{"a":"}","b":["]"]}`, `,`, true},
		{"unclosed list", `[1,2`, ``, false},
		{"unclosed string", `["abc]`, ``, false},
		{"unclosed object", `{"a":{}`, ``, false},
		{"a separator", `,1`, ``, false},
		{"nothing", ``, ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := -1
			if tt.ok {
				want = len(tt.value)
				if !json.Valid([]byte(tt.value)) {
					t.Fatalf("bad case: %q is not one JSON value", tt.value)
				}
			}
			if got := ValueEnd([]byte(tt.value+tt.rest), 0); got != want {
				t.Fatalf("ValueEnd(%q) = %d, want %d", tt.value+tt.rest, got, want)
			}
		})
	}
}

// TestFieldsMembers: keys are matched to fields as encoding/json matches
// them to a struct's fields.
func TestFieldsMembers(t *testing.T) {
	fields := FieldNames("id", "ID", "name")
	tests := []struct {
		name string
		json string
		want string // field index:value, in order
		err  error
	}{
		{"exact", `{"id":1,"name":"a"}`, `0:1 2:"a"`, nil},
		{"exact before folded", `{"ID":1,"Id":2}`, `1:1 0:2`, nil},
		{"folded", `{"NAME":"b"}`, `2:"b"`, nil},
		{"escaped key", `{"n\u0061me":null}`, `2:null`, nil},
		{"others skipped", `{"x":{"id":9},"name":[1]}`, `2:[1]`, nil},
		{"empty", ` { } `, ``, nil},
		{"not an object", `[{"id":1}]`, ``, ErrShape},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := fields.Members([]byte(tt.json), func(i int, val []byte) error {
				got = append(got, fmt.Sprintf("%d:%s", i, val))
				return nil
			})
			if err != tt.err || strings.Join(got, " ") != tt.want {
				t.Fatalf("Members(%s) = %q, %v; want %q, %v", tt.json, strings.Join(got, " "), err, tt.want, tt.err)
			}
		})
	}
}
