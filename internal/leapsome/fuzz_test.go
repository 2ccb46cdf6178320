package leapsome

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The fuzz tests below check the decoders against a second, independent
// reading of the same JSON (ordered key/value pairs, keys matched the way
// encoding/json matches them: case-insensitively). A field whose key occurs
// more than once is not checked: which occurrence wins is encoding/json's
// business, not the decoder's.

type pair struct {
	key string
	raw json.RawMessage
}

// pairsOf reads a JSON object as ordered pairs; ok is false for anything else.
func pairsOf(raw []byte) ([]pair, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []pair
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, pair{tok.(string), v})
	}
	return out, true
}

// single is the value of the one key matching name, if exactly one does.
func single(ps []pair, name string) (json.RawMessage, bool) {
	var found json.RawMessage
	n := 0
	for _, p := range ps {
		if strings.EqualFold(p.key, name) {
			found, n = p.raw, n+1
		}
	}
	return found, n == 1
}

func kind(raw json.RawMessage) byte {
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

func asString(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("oracle: %s is not a string: %v", raw, err)
	}
	return s
}

// checkString holds one decoded string to what the JSON said: a string is kept
// as it is, null is absent, anything else is absent and reported in bad.
func checkString(t *testing.T, ps []pair, key, bad string, got string, bads []string) {
	t.Helper()
	raw, ok := single(ps, key)
	if !ok {
		return
	}
	switch {
	case kind(raw) == '"':
		if want := asString(t, raw); got != want {
			t.Fatalf("%s: decoded %q, the JSON says %q", bad, got, want)
		}
		if slices.Contains(bads, bad) {
			t.Fatalf("%s: a string value reported bad", bad)
		}
	case string(raw) == "null":
		if got != "" || slices.Contains(bads, bad) {
			t.Fatalf("%s: null decoded as %q (bad %v)", bad, got, bads)
		}
	default:
		if got != "" || !slices.Contains(bads, bad) {
			t.Fatalf("%s: %s decoded as %q, bad %v; want absent and reported", bad, raw, got, bads)
		}
	}
}

// checkRefNames holds departments/teams to the JSON: one entry per element,
// in order, "" and reported for an element that is not an object.
func checkRefNames(t *testing.T, ps []pair, key string, got []string, bads []string) {
	t.Helper()
	raw, ok := single(ps, key)
	if !ok || kind(raw) != '[' {
		return
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		t.Fatalf("oracle: %s: %v", key, err)
	}
	if len(got) != len(elems) {
		t.Fatalf("%s: %d names decoded from %d elements", key, len(got), len(elems))
	}
	for i, e := range elems {
		at := fmt.Sprintf("%s[%d]", key, i)
		inner, isObj := pairsOf(e)
		if !isObj {
			if got[i] != "" || !slices.Contains(bads, at) {
				t.Fatalf("%s: %s decoded as %q, bad %v", at, e, got[i], bads)
			}
			continue
		}
		checkString(t, inner, "name", at+".name", got[i], bads)
	}
}

var numberPattern = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// sameNumber reports whether plain (no exponent) is the number lit.
func sameNumber(lit, plain string) bool {
	if lit == plain {
		return true
	}
	if strings.ContainsAny(plain, "eE") || !numberPattern.MatchString(plain) {
		return false
	}
	a, ok1 := new(big.Rat).SetString(lit)
	b, ok2 := new(big.Rat).SetString(plain)
	return ok1 && ok2 && a.Cmp(b) == 0
}

// FuzzDecodeEmployee: never a panic; a record with a non-blank string id is
// kept, any other is skipped; a kept person has every value that decoded.
func FuzzDecodeEmployee(f *testing.F) {
	for _, seed := range []string{
		`{"id":"64f1c0a2","email":"ada@example.com","firstname":"Ada","middlename":null,"lastname":"Lovelace","displayedName":"Ada L.",` +
			`"status":"active","lifecycleStatus":"hired","manager":{"id":"m1","name":"Grace"},"startDate":"2024-01-08T00:00:00.000Z",` +
			`"endDate":null,"phone":"+49 30 1234567","title":"Engineer","departments":[{"id":"d1","name":"R&D"},{"id":"d2","name":"Ops"}],` +
			`"teams":[],"workLocation":{"id":"w1","name":"Berlin"},"customAttributes":{"SSN":"123-45-6789","hours":40,"rate":3.75E-1,"remote":true,"none":null}}`,
		`{"id":"1","email":42,"firstname":["A"],"lastname":{"x":1},"manager":"m1","departments":[null,"R&D",{"name":7},{"name":"Ops"}],"teams":{"name":"x"}}`,
		`{"id":"2","workLocation":[],"customAttributes":{"a":{"b":1},"c":[1],"d":-0.0e-0,"e":1e400,"f":12345678901234567890e-30}}`,
		`{"id":"3","customAttributes":"x"}`,
		`{"id":"4","customAttributes":{"big":1e1001,"tiny":1e-1001,"neg":-1.5E+3,"z":0e0}}`,
		`{"id":"5","ID":"6","Email":"upper@example.com"}`,
		`{"id":" ","firstname":"Blank"}`, `{"id":""}`, `{"id":null}`, `{"id":7}`, `{"id":{"v":"1"}}`, `{"firstname":"NoId"}`,
		`{"id":"\u0000\ud800","firstname":"\"quoted\"\\","lastname":"O\u2019Brien"}`,
		"{\"id\":\"8\",\"firstname\":\"\xff\xfe\",\"lastname\":\"\xc3\"}",
		`{"id":"9","manager":{"id":5},"workLocation":{"id":"w","name":null}}`,
		`{"id":"10","manager":null,"workLocation":null,"departments":null,"teams":null,"customAttributes":null}`,
		`[]`, `"id"`, `null`, `7`, `{}`, `true`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return // items are cut from a page that already parsed
		}
		p, bad, err := decodeEmployee(json.RawMessage(raw))
		ps, isObj := pairsOf([]byte(raw))
		idRaw, oneID := single(ps, "id")
		hasID := isObj && oneID && kind(idRaw) == '"' && strings.TrimSpace(asString(t, idRaw)) != ""
		if err != nil {
			if hasID {
				t.Fatalf("record %s with id %s skipped: %v", raw, idRaw, err)
			}
			return
		}
		if strings.TrimSpace(p.ID) == "" {
			t.Fatalf("record %s kept without an id", raw)
		}
		if !isObj {
			t.Fatalf("%s is not an object but was kept as %+v", raw, p)
		}
		if oneID && p.ID != asString(t, idRaw) {
			t.Fatalf("record %s: id %q", raw, p.ID)
		}
		for _, c := range []struct {
			key string
			got string
		}{
			{"email", p.Email}, {"firstname", p.FirstName}, {"middlename", p.MiddleName}, {"lastname", p.LastName},
			{"displayedName", p.DisplayedName}, {"status", p.Status}, {"lifecycleStatus", p.LifecycleStatus},
			{"startDate", p.StartDate}, {"endDate", p.EndDate}, {"phone", p.Phone}, {"title", p.Title},
		} {
			checkString(t, ps, c.key, c.key, c.got, bad)
		}
		checkRefNames(t, ps, "departments", p.Departments, bad)
		checkRefNames(t, ps, "teams", p.Teams, bad)
		if m, ok := single(ps, "manager"); ok {
			if inner, isObj := pairsOf(m); isObj {
				checkString(t, inner, "id", "manager.id", p.ManagerID, bad)
			} else if p.ManagerID != "" {
				t.Fatalf("record %s: manager %s gave id %q", raw, m, p.ManagerID)
			}
		}
		if w, ok := single(ps, "workLocation"); ok {
			if inner, isObj := pairsOf(w); isObj {
				checkString(t, inner, "id", "workLocation.id", p.WorkLocationID, bad)
				checkString(t, inner, "name", "workLocation.name", p.WorkLocation, bad)
			}
		}
		checkAttrs(t, ps, p.CustomAttributes, bad)
	})
}

func checkAttrs(t *testing.T, ps []pair, got map[string]string, bad []string) {
	t.Helper()
	raw, ok := single(ps, "customAttributes")
	if !ok {
		return
	}
	if kind(raw) != '{' {
		if len(got) != 0 || (string(raw) != "null" && !slices.Contains(bad, "customAttributes")) {
			t.Fatalf("customAttributes %s decoded as %v, bad %v", raw, got, bad)
		}
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("oracle: customAttributes: %v", err)
	}
	want := 0
	for k, v := range m {
		g, present := got[k]
		switch kind(v) {
		case '"':
			want++
			if s := asString(t, v); !present || g != s {
				t.Fatalf("customAttributes.%s: decoded %q (present %t), the JSON says %q", k, g, present, s)
			}
		case 't', 'f':
			want++
			if g != string(v) {
				t.Fatalf("customAttributes.%s: decoded %q, the JSON says %s", k, g, v)
			}
		case 'n':
			if present {
				t.Fatalf("customAttributes.%s: null decoded as %q", k, g)
			}
		case '{', '[':
			if present || !slices.Contains(bad, "customAttributes."+k) {
				t.Fatalf("customAttributes.%s: %s decoded as %q (bad %v)", k, v, g, bad)
			}
		default:
			want++
			if !present || !sameNumber(string(v), g) {
				t.Fatalf("customAttributes.%s: number %s decoded as %q", k, v, g)
			}
		}
	}
	if len(got) != want {
		t.Fatalf("customAttributes: %d values decoded, the JSON has %d: %v", len(got), want, got)
	}
}

// FuzzDecodeSCIMUser: never a panic; a user with a non-blank string id is
// kept with every value that decoded.
func FuzzDecodeSCIMUser(f *testing.F) {
	const ext = `"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
	for _, seed := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"64f1c0a2","userName":"ada@example.com","active":true,` +
			`"name":{"formatted":"Ada King Lovelace","givenName":"Ada"},` + ext + `:{"birthday":"1990-12-10","gender":"female","employmentType":"internal"}}`,
		`{"id":"1","active":"false","name":{"formatted":7},` + ext + `:{"birthday":19901210,"gender":null}}`,
		`{"id":"2","active":"yes","name":"Ada",` + ext + `:[]}`,
		`{"id":"3","active":1,"name":null,` + ext + `:null}`,
		`{"id":"4","ACTIVE":true,"Name":{"Formatted":"Upper"}}`,
		`{"id":" "}`, `{"id":5}`, `{"active":true}`, `[]`, `null`, `{}`,
		`{"id":"6","name":{"formatted":"\u0000\ud800\"x"},` + ext + `:{"birthday":"\u0031\u0039\u0039\u0030-01-01"}}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		id, u, bad, err := decodeSCIMUser(json.RawMessage(raw))
		ps, isObj := pairsOf([]byte(raw))
		idRaw, oneID := single(ps, "id")
		hasID := isObj && oneID && kind(idRaw) == '"' && strings.TrimSpace(asString(t, idRaw)) != ""
		if err != nil {
			if hasID {
				t.Fatalf("SCIM user %s with id %s skipped: %v", raw, idRaw, err)
			}
			if u != nil || id != "" {
				t.Fatalf("SCIM user %s: error %v with a user", raw, err)
			}
			return
		}
		if strings.TrimSpace(id) == "" || u == nil || !isObj {
			t.Fatalf("SCIM user %s kept as %q %+v", raw, id, u)
		}
		if a, ok := single(ps, "active"); ok {
			var want bool
			switch {
			case string(a) == "true":
				want = true
			case kind(a) == '"':
				// strconv.ParseBool's spellings of true.
				want = slices.Contains([]string{"1", "t", "T", "TRUE", "true", "True"}, asString(t, a))
			}
			if u.Active != want {
				t.Fatalf("SCIM user %s: active %s decoded as %t", raw, a, u.Active)
			}
		}
		if n, ok := single(ps, "name"); ok {
			if inner, isObj := pairsOf(n); isObj {
				checkString(t, inner, "formatted", "name.formatted", u.LegalName, bad)
			}
		}
		if e, ok := single(ps, scimEnterpriseKey); ok {
			if inner, isObj := pairsOf(e); isObj {
				checkString(t, inner, "birthday", scimEnterpriseKey+".birthday", u.Birthday, bad)
				checkString(t, inner, "gender", scimEnterpriseKey+".gender", u.Gender, bad)
				checkString(t, inner, "employmentType", scimEnterpriseKey+".employmentType", u.EmploymentType, bad)
			}
		}
	})
}

var pageErrorPattern = regexp.MustCompile(`^leapsome op: response (is not valid JSON \(offset \d+\)|does not have the documented shape)$`)

// FuzzDecodePages: a page (Content API or SCIM list) never panics; it is
// either an error that quotes nothing of the body, or exactly its list's items.
func FuzzDecodePages(f *testing.F) {
	for _, seed := range []string{
		`{"data":[{"id":"1","firstname":"Ada"},{"id":"2"}],"meta":{"pageSize":100,"totalCount":2}}`,
		`{"data":[],"meta":{"pageSize":"100","totalCount":"0"}}`,
		`{"data":[1,"x",null,[],{}],"meta":null}`,
		`{"data":null}`, `{"data":{"id":"1"}}`, `{"data":"Zq9PII"}`, `{"meta":{"totalCount":-1}}`,
		`{"data":[],"meta":{"pageSize":1e3,"totalCount":99999999999999999999}}`,
		`{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"itemsPerPage":1,"startIndex":1,"Resources":[{"id":"u1"}]}`,
		`{"totalResults":0}`, `{"totalResults":"0","Resources":null}`, `{"totalResults":1}`, `{"Resources":"Zq9PII"}`,
		`{"data":[{"id":"Zq9PII"}]`, `{"data":[{"id":"Zq9PII"}]} trailing`, `Zq9PII`, ``, `null`, `[]`, `<html>Zq9PII</html>`,
		strings.Repeat(`{"data":[`, 3000),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, scim := range []bool{false, true} {
			decode, list := decodeContentPage, "data"
			if scim {
				decode, list = decodeSCIMPage, "Resources"
			}
			pg, err := decode("op", []byte(body))
			if err != nil {
				if !pageErrorPattern.MatchString(err.Error()) {
					t.Fatalf("body %q: error %q may quote the body", body, err)
				}
				continue
			}
			if pg.total < -1 || pg.perPage < 0 {
				t.Fatalf("body %q: total %d, perPage %d", body, pg.total, pg.perPage)
			}
			ps, isObj := pairsOf([]byte(body))
			if !isObj {
				if len(pg.items) != 0 {
					t.Fatalf("body %q is not an object but gave %d items", body, len(pg.items))
				}
				continue
			}
			raw, ok := single(ps, list)
			if !ok || kind(raw) != '[' {
				continue
			}
			var want []json.RawMessage
			if err := json.Unmarshal(raw, &want); err != nil {
				t.Fatalf("oracle: %v", err)
			}
			if len(pg.items) != len(want) {
				t.Fatalf("body %q: %d items decoded, the list has %d", body, len(pg.items), len(want))
			}
		}
	})
}
