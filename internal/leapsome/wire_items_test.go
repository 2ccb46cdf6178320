package leapsome

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"trinetsync/internal/jsonscan"
)

// jsonSpace is JSON's white space (not Unicode's: no form feed).
const jsonSpace = " \t\r\n"

// readItems reads the array s (its '[' included) with an itemReader over
// r(s), and answers the items it handed out, and whether it took the array.
func readItems(s string, r func(io.Reader) io.Reader) ([][]byte, bool) {
	in := strings.TrimLeft(s, jsonSpace)
	if !strings.HasPrefix(in, "[") {
		return nil, false
	}
	ir := newItemReader(r(strings.NewReader(in[1:])))
	var items [][]byte
	if err := ir.each(func(item []byte) { items = append(items, bytes.Clone(item)) }); err != nil {
		return nil, false
	}
	// Nothing but white space may follow the array.
	rest, _ := io.ReadAll(ir.rest())
	return items, len(bytes.Trim(rest, jsonSpace)) == 0
}

// itemReaderAgrees: the itemReader takes exactly the arrays encoding/json
// takes, with the same items, whether the bytes come in one piece or one
// at a time (every item then runs past the end of what was read).
func itemReaderAgrees(t *testing.T, s string) {
	t.Helper()
	show := s
	if len(show) > 200 {
		show = show[:200] + "…"
	}
	var want []json.RawMessage
	valid := json.Unmarshal([]byte(s), &want) == nil && strings.HasPrefix(strings.TrimLeft(s, jsonSpace), "[")
	for name, r := range map[string]func(io.Reader) io.Reader{
		"whole": func(r io.Reader) io.Reader { return r }, "byte by byte": iotest.OneByteReader,
	} {
		got, ok := readItems(s, r)
		if ok != valid {
			t.Fatalf("%s: %q taken %t, encoding/json %t", name, show, ok, valid)
		}
		if !ok {
			continue
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %q gave %d items, encoding/json %d", name, show, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(bytes.Trim(got[i], jsonSpace), bytes.Trim(want[i], jsonSpace)) {
				t.Fatalf("%s: %q: item %d differs from encoding/json's", name, show, i)
			}
		}
	}
}

var itemArrays = []string{
	`[]`, ` [ ] `, `[1]`, `[1,2]`, `[{"a":1},{"b":[1,2,{"c":null}]},"x",true,false,null,-0.5e+3]`,
	`[{"id":"a\"b\\c\/d\b\f\n\r\t\u00e9\uD83D\uDE00"}]`, "[\"\xff\xfe raw bytes\"]", `[{}, [], [[]], {"":""}]`,
	"[ {\n\t\"a\" : 1 ,\r\n \"b\" : [ 1 , 2 ] } ]", `[0, -0, 1.0, 1e5, 1E-5, 12.34e+56, -1]`,
	// Not JSON.
	`[`, `[1`, `[1,]`, `[,1]`, `[1 2]`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`, `[tru]`, `[nul]`, `[True]`,
	`[{"a"}]`, `[{"a":}]`, `[{"a":1,}]`, `[{a:1}]`, `[{"a":1 "b":2}]`, `[{"a":1]`, `[[1}]`, `["a]`, "[\"a\tb\"]",
	`["\x"]`, `["\u12"]`, `["\u12G4"]`, `[1]x`, `[1]]`, `[NaN]`, `[Infinity]`, `['a']`,
}

func TestItemReaderAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range itemArrays {
		itemReaderAgrees(t, s)
	}
	// json.Decoder counted the depth of each item from the item, as
	// json.Valid does: an item may nest jsonscan.MaxNestingDepth levels, not one more.
	for _, depth := range []int{jsonscan.MaxNestingDepth, jsonscan.MaxNestingDepth + 1} {
		item := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		_, ok := readItems("["+item+"]", func(r io.Reader) io.Reader { return r })
		if want := json.Valid([]byte(item)); ok != want {
			t.Fatalf("an item %d deep taken %t, json.Valid %t", depth, ok, want)
		}
	}
	// Items longer than the reader's buffer.
	long := `["` + strings.Repeat("x", 100<<10) + `",{"k":"` + strings.Repeat("y", 70<<10) + `"}]`
	itemReaderAgrees(t, long)
}

func FuzzItemReader(f *testing.F) {
	for _, s := range itemArrays {
		f.Add(s)
	}
	f.Fuzz(itemReaderAgrees)
}
