package leapsome

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

const extKey = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`

// employeeRecords are records of every kind the tolerant path handles; fast
// says whether the fast path should answer for it (else it must decline).
var employeeRecords = []struct {
	name string
	json string
	fast bool
}{
	{"profile example", `{"id":"64b7f0c2a1b2c3d4e5f60718","email":"ada@example.com","firstname":"Ada","middlename":"","lastname":"Lovelace",
		"displayedName":"Ada L.","status":"active","lifecycleStatus":"active","manager":{"id":"64b7f0c2a1b2c3d4e5f60001","name":"Grace Hopper"},
		"startDate":"2024-01-08T00:00:00.000Z","endDate":null,"phone":"+14155550100","title":"Engineer",
		"departments":[{"id":"d1","name":"Engineering"},{"id":"d2","name":"Research"}],"teams":[{"id":"t1","name":"Platform"}],
		"workLocation":{"id":"w1","name":"San Francisco"},
		"customAttributes":{"Employee type":"Full time","Hours":40,"Rate":37.5,"Big":1e21,"Small":-3.75E-1,"Remote":true,"Union":false,"Gone":null}}`, true},
	{"everything null", `{"id":"a1","email":null,"firstname":null,"manager":null,"departments":null,"teams":null,"workLocation":null,"customAttributes":null}`, true},
	{"only an id", `{"id":"a1"}`, true},
	{"empty lists and objects", `{"id":"a1","manager":{},"departments":[],"teams":[{}],"workLocation":{},"customAttributes":{}}`, true},
	{"null list elements", `{"id":"a1","departments":[null,{"name":"Ops"},null],"teams":[null]}`, true},
	{"attributes that are not values", `{"id":"a1","customAttributes":{"ok":"yes","nested":{"a":[1,"]"]},"list":[1,{"b":"}"}],"n":null}}`, true},
	{"escapes and odd bytes", "{\"id\":\"a\\u0031\",\"firstname\":\"\\\"Ada\\\"\\\\\",\"lastname\":\"O\\u2019Brien \xff\",\"title\":\"\xc3\"," +
		"\"customAttributes\":{\"Sch\\u00e4tzung\":\"a\\\"b\",\"\xff\":\"\xfe\",\"\\u00fc\":1.5e2,\"tab\\t\":\"x\"}}", true},
	{"keys in other cases", `{"ID":"a1","Email":"x@example.com","MANAGER":{"ID":"m"},"Departments":[{"Name":"Ops"}],"customattributes":{"A":"1"}}`, true},
	{"keys that fold beyond ASCII, or escaped", `{"\u0069d":"a1","ſtatus":"active","manager":{"ſd":"x","\u004eame":"Boss"},"title":"T","titl\u0065":null}`, true},
	{"an exact key after a folded one", `{"id":"a1","Title":"first","title":"second","TITLE":null}`, true},
	{"unknown fields", `{"id":"a1","extra":{"manager":null,"id":7},"list":[{"a":"]}"}],"n":1e5}`, true},
	{"a repeated string field", `{"id":"a1","email":"first@example.com","email":null,"id":null}`, true},
	{"a repeated object that merges", `{"id":"a1","manager":{"id":"m1"},"manager":{"name":"x"},"departments":[],"teams":[],"workLocation":{}}`, true},
	{"whitespace", " {\n\t\"id\" : \"a1\" ,\r\n \"manager\" : null , \"customAttributes\" : { \"h\" : 40 , \"t\" : true } } ", true},
	{"null record", `null`, true},
	{"blank id", `{"id":"  "}`, true},
	{"no id", `{"email":"x@example.com"}`, true},

	{"a string of the wrong type", `{"id":"a1","email":"x@example.com","firstname":7}`, false},
	{"manager not an object", `{"id":"a1","manager":"boss"}`, false},
	{"a list element of the wrong type", `{"id":"a1","departments":[{"name":"Sales"},"Ops"]}`, false},
	{"a ref name of the wrong type", `{"id":"a1","departments":[{"name":3}]}`, false},
	{"an unused ref id of the wrong type", `{"id":"a1","manager":{"id":"m","name":5},"teams":[{"id":1,"name":"T"}]}`, false},
	{"teams not a list", `{"id":"a1","teams":{"name":"x"}}`, false},
	{"customAttributes not an object", `{"id":"a1","customAttributes":"x"}`, false},
	{"customAttributes a list", `{"id":"a1","customAttributes":[1]}`, false},
	{"wrong types everywhere", `{"id":"a1","email":"x@example.com","firstname":7,"manager":"boss","departments":[{"name":"Sales"},"Ops",{"name":3}],
		"teams":{"name":"x"},"workLocation":{"id":"w1","name":["SF"]},"customAttributes":{"ok":"yes","nested":{"a":1},"list":[1]}}`, false},
	{"numeric id", `{"id":12}`, false},
	{"not an object", `"ada"`, false},
	{"a list", `[{"id":"a1"}]`, false},
	{"a number", `42`, false},
	{"a repeated manager, then null", `{"id":"a1","manager":{"id":"m1"},"manager":null}`, false},
	{"a repeated list, then null", `{"id":"a1","departments":[{"name":"Ops"}],"departments":null}`, false},
	{"a repeated list, element then null", `{"id":"a1","teams":[{"name":"A"},{"name":"B"}],"teams":[{"id":"x"},null]}`, false},
	{"a repeat in another case", `{"id":"a1","workLocation":{"id":"w1"},"WorkLocation":null}`, false},
	{"a repeat spelt with escapes", `{"id":"a1","manager":{"id":"m1"},"\u006danager":null}`, false},
	{"repeated customAttributes", `{"id":"a1","customAttributes":{"a":"1"},"customAttributes":{"b":"2"}}`, false},
	{"customAttributes then null", `{"id":"a1","customAttributes":{"a":"1"},"customAttributes":null}`, false},
	{"a repeated attribute", `{"id":"a1","customAttributes":{"a":"1","a":{}}}`, false},
	{"a repeated dropped attribute", `{"id":"a1","customAttributes":{"a":[],"a":"1"}}`, false},
	{"a repeated null attribute", `{"id":"a1","customAttributes":{"a":null,"\u0061":"1"}}`, false},
}

func TestFastPathMatchesTolerant(t *testing.T) {
	for _, tt := range employeeRecords {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.json)) {
				t.Fatalf("test record is not JSON")
			}
			raw := json.RawMessage(tt.json)
			want, wantBad, wantErr := decodeEmployeeTolerant(raw)
			got, bad, ok, err := decodeEmployeeFast(raw)
			if ok != tt.fast {
				t.Fatalf("fast path answered: %t, want %t", ok, tt.fast)
			}
			if !ok {
				got, bad, err = decodeEmployee(raw)
			}
			samePerson(t, got, bad, err, want, wantBad, wantErr)
		})
	}
}

func samePerson[T any](t *testing.T, got T, bad []string, err error, want T, wantBad []string, wantErr error) {
	t.Helper()
	if err != wantErr {
		t.Fatalf("error %v, tolerant path %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got           %+v\ntolerant path %+v", got, want)
	}
	bad, wantBad = slices.Sorted(slices.Values(bad)), slices.Sorted(slices.Values(wantBad))
	if !slices.Equal(bad, wantBad) {
		t.Fatalf("bad fields %v, tolerant path %v", bad, wantBad)
	}
}

func TestFastSCIMUserMatchesTolerant(t *testing.T) {
	tests := []struct {
		name string
		json string
		fast bool
	}{
		{"full", `{"id":"u1","userName":"a@example.com","active":true,"name":{"givenName":"Ada","formatted":"Augusta Ada King"},` +
			extKey + `:{"birthday":"1815-12-10","gender":"female","employmentType":"internal","6140868326541a4da586db0b":{"value":1}}}`, true},
		{"no name or extension", `{"id":"u2","active":false}`, true},
		{"nulls", `{"id":"u3","active":null,"name":null,` + extKey + `:null}`, true},
		{"extension in another case", `{"id":"u4","URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"gender":"x"}}`, true},
		{"no id", `{"active":true}`, true},
		{"string active", `{"id":"u5","active":"True"}`, false},
		{"odd types", `{"id":"u6","active":1,"name":"Ada",` + extKey + `:{"gender":1}}`, false},
		{"formatted of the wrong type", `{"id":"u7","name":{"formatted":7}}`, false},
		{"extension repeated, then null", `{"id":"u8",` + extKey + `:{"gender":"f"},` + extKey + `:null}`, false},
		{"name repeated, then null", `{"id":"u9","name":{"formatted":"A"},"Name":null}`, false},
		{"not an object", `[]`, false},
	}
	type user struct {
		ID string
		U  any
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(tt.json)
			wid, wu, wantBad, wantErr := decodeSCIMUserTolerant(raw)
			id, u, ok, err := decodeSCIMUserFast(raw)
			var bad []string
			if ok != tt.fast {
				t.Fatalf("fast path answered: %t, want %t", ok, tt.fast)
			}
			if !ok {
				id, u, bad, err = decodeSCIMUser(raw)
			}
			samePerson(t, user{id, u}, bad, err, user{wid, wu}, wantBad, wantErr)
		})
	}
}

func TestFastWorkLocationMatchesTolerant(t *testing.T) {
	tests := []struct {
		name string
		json string
		fast bool
	}{
		{"full", `{"id":"w1","name":"Berlin","status":"active","country":"Germany","street":null}`, true},
		{"no id", `{"name":"x"}`, true},
		{"name of the wrong type", `{"id":"w1","name":5,"country":"Germany"}`, false},
		{"not an object", `7`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := json.RawMessage(tt.json)
			want, wantBad, wantErr := decodeWorkLocationTolerant(raw)
			got, ok, err := decodeWorkLocationFast(raw)
			var bad []string
			if ok != tt.fast {
				t.Fatalf("fast path answered: %t, want %t", ok, tt.fast)
			}
			if !ok {
				got, bad, err = decodeWorkLocation(raw)
			}
			samePerson(t, got, bad, err, want, wantBad, wantErr)
		})
	}
}

// FuzzFastPathMatchesTolerant: whenever the fast path answers, it answers
// what the tolerant path does.
func FuzzFastPathMatchesTolerant(f *testing.F) {
	for _, r := range employeeRecords {
		f.Add(r.json)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		want, wantBad, wantErr := decodeEmployeeTolerant(json.RawMessage(raw))
		if got, bad, ok, err := decodeEmployeeFast(json.RawMessage(raw)); ok {
			samePerson(t, got, bad, err, want, wantBad, wantErr)
		}
		wid, wu, wantBad, wantErr := decodeSCIMUserTolerant(json.RawMessage(raw))
		if id, u, ok, err := decodeSCIMUserFast(json.RawMessage(raw)); ok {
			type user struct {
				ID string
				U  any
			}
			samePerson(t, user{id, u}, nil, err, user{wid, wu}, wantBad, wantErr)
		}
	})
}
