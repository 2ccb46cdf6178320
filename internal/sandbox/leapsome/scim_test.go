package leapsome

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"
)

func TestSCIMAuth(t *testing.T) {
	f := newFixture(t, Options{})
	// A tenant without a SCIM token: an empty or any other bearer must not
	// reach it (the "no token" and "wrong token" rows).
	if err := f.s.AddTenant(Tenant{ID: "no-scim", APISecret: "secret-no-scim"}); err != nil {
		t.Fatal(err)
	}
	f.put(t, tenantA, Employee{Email: "a@acme.test", FirstName: "A", LastName: "A"})
	content := f.token(t, secretA)
	tests := []struct {
		name string
		auth string
		want int
		n    int
	}{
		{"SCIM token", scimTokenA, 200, 1},
		{"other tenant's SCIM token sees its own people", scimTokenB, 200, 0},
		{"no token", "", 403, 0},
		{"wrong token", "nope", 403, 0},
		{"Content API token", content, 403, 0},
		{"API secret", secretA, 403, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(t, "GET", "/scim/v1/Users", tt.auth, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if r.status == 200 {
				var l scimList
				r.decode(t, &l)
				if l.TotalResults != tt.n || len(l.Resources) != tt.n {
					t.Fatalf("got %d/%d users, want %d", len(l.Resources), l.TotalResults, tt.n)
				}
			}
		})
	}
}

func TestSCIMPaging(t *testing.T) {
	tests := []struct {
		users     int
		query     string
		wantPages []int
	}{
		{0, "", []int{0}},
		{5000, "", []int{5000, 0}}, // the default count is the maximum, 5000
		{5001, "", []int{5000, 1, 0}},
		{5, "&count=2", []int{2, 2, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d users%s", tt.users, tt.query), func(t *testing.T) {
			f := newFixture(t, Options{})
			var want []string
			for i := range tt.users {
				e := f.put(t, tenantA, Employee{Email: fmt.Sprintf("u%05d@acme.test", i), FirstName: "U", LastName: fmt.Sprint(i)})
				want = append(want, e.ID)
			}
			var got []string
			start := 1
			for i, size := range tt.wantPages {
				path := fmt.Sprintf("/scim/v1/Users?startIndex=%d%s", start, tt.query)
				// Validating a 5000-user page against the document takes
				// seconds under -race; the shape is validated on the small
				// pages here and in TestSCIMUser.
				r, err := f.send("GET", path, scimTokenA, nil)
				if err != nil {
					t.Fatal(err)
				}
				if size < 100 {
					validateAgainstSpec(t, "GET", path, scimTokenA, r)
				}
				if r.status != 200 {
					t.Fatalf("page %d: %d %s", i+1, r.status, r.body)
				}
				var l scimList
				r.decode(t, &l)
				if len(l.Resources) != size || l.ItemsPerPage != size || l.StartIndex != start || l.TotalResults != tt.users {
					t.Fatalf("page %d: %d resources, itemsPerPage %d, startIndex %d, total %d", i+1, len(l.Resources), l.ItemsPerPage, l.StartIndex, l.TotalResults)
				}
				if !slices.Equal(l.Schemas, []string{schemaList}) {
					t.Fatalf("schemas %v", l.Schemas)
				}
				for _, u := range l.Resources {
					got = append(got, u.ID)
				}
				start += size
			}
			if !slices.Equal(got, want) {
				t.Fatal("pages together are not every user once in id order")
			}
		})
	}
}

func TestSCIMParameters(t *testing.T) {
	f := newFixture(t, Options{})
	ada := f.put(t, tenantA, Employee{Email: "Ada@Acme.test", FirstName: "Ada", LastName: "Lovelace"})
	f.put(t, tenantA, Employee{Email: "grace@acme.test", FirstName: "Grace", LastName: "Hopper"})
	tests := []struct {
		query string
		want  int
		ids   []string
	}{
		{"?count=0", 200, nil},
		{"?startIndex=3", 200, nil},
		{"?filter=" + url.QueryEscape(`userName eq "ada@acme.test"`), 200, []string{ada.ID}},
		{"?filter=" + url.QueryEscape(`userName eq ADA@ACME.TEST`), 200, []string{ada.ID}},
		{"?filter=" + url.QueryEscape(`userName eq "nobody@acme.test"`), 200, nil},
		{"?filter=" + url.QueryEscape(`displayName eq "Ada"`), 400, nil},
		{"?startIndex=0", 400, nil},
		{"?startIndex=x", 400, nil},
		{"?count=5001", 400, nil},
		{"?count=-1", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := f.do(t, "GET", "/scim/v1/Users"+tt.query, scimTokenA, nil)
			if r.status != tt.want {
				t.Fatalf("status %d, want %d: %s", r.status, tt.want, r.body)
			}
			if r.status != 200 {
				return
			}
			var l scimList
			r.decode(t, &l)
			var ids []string
			for _, u := range l.Resources {
				ids = append(ids, u.ID)
			}
			if !slices.Equal(ids, tt.ids) {
				t.Fatalf("ids %v, want %v", ids, tt.ids)
			}
		})
	}
	t.Run("count=0 still reports the total", func(t *testing.T) {
		var l scimList
		f.do(t, "GET", "/scim/v1/Users?count=0", scimTokenA, nil).decode(t, &l)
		if l.TotalResults != 2 || len(l.Resources) != 0 {
			t.Fatalf("got %+v", l)
		}
	})
}

func TestSCIMUser(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.s.PutWorkLocation(tenantA, WorkLocation{ID: "cccccccccccccccccccccccc", Name: "Toronto", Country: "Canada"}); err != nil {
		t.Fatal(err)
	}
	boss := f.put(t, tenantA, Employee{Email: "boss@acme.test", FirstName: "Grace", LastName: "Hopper", Status: "removed"})
	ada := f.put(t, tenantA, Employee{
		Email: "ada@acme.test", FirstName: "Ada", LastName: "Lovelace", DisplayedName: "Ada L.", Title: "Engineer",
		Manager: &Ref{ID: boss.ID}, StartDate: "2024-01-08", Departments: []Ref{{Name: "Engineering"}, {Name: "R&D"}},
		Teams: []Ref{{Name: "Platform"}}, WorkLocation: &Ref{Name: "Toronto"},
		Gender: "diverse", Birthday: "1990-12-10", EmploymentType: "internal", LegalName: "Augusta Ada King",
		CustomAttributes: map[string]any{"FLSA": "Exempt", "Hours": 40.0},
	})
	noMail := f.put(t, tenantA, Employee{FirstName: "No", LastName: "Mail"})

	get := func(t *testing.T, id string) map[string]any {
		r := f.do(t, "GET", "/scim/v1/Users/"+id, scimTokenA, nil)
		if r.status != 200 {
			t.Fatalf("%d %s", r.status, r.body)
		}
		var u map[string]any
		r.decode(t, &u)
		return u
	}
	t.Run("core and enterprise attributes", func(t *testing.T) {
		u := get(t, ada.ID)
		got, _ := json.Marshal(map[string]any{
			"userName": u["userName"], "name": u["name"], "displayName": u["displayName"], "title": u["title"],
			"active": u["active"], "emails": u["emails"], "manager": u["manager"], "groups": u["groups"],
			"ext": u[schemaEnterprise],
		})
		want, _ := json.Marshal(map[string]any{
			"userName":    "ada@acme.test",
			"name":        map[string]any{"givenName": "Ada", "familyName": "Lovelace", "formatted": "Augusta Ada King"},
			"displayName": "Ada L.", "title": "Engineer", "active": true,
			"emails":  []any{map[string]any{"primary": true, "type": "work", "value": "ada@acme.test"}},
			"manager": map[string]any{"value": boss.ID},
			"groups":  []any{map[string]any{"value": derivedID(tenantA, "teams", "Platform")}},
			"ext": map[string]any{
				"manager":    map[string]any{"managerId": boss.ID, "displayName": "Grace Hopper"},
				"department": "Engineering", "location": "Toronto", "startDate": "2024-01-08",
				"birthday": "1990-12-10", "gender": "diverse", "employmentType": "internal",
				CustomAttributeID(tenantA, "FLSA"): "Exempt", CustomAttributeID(tenantA, "Hours"): "40",
			},
		})
		if string(got) != string(want) {
			t.Fatalf("user\n got %s\nwant %s", got, want)
		}
		meta := u["meta"].(map[string]any)
		if meta["location"] != f.srv.URL+"/scim/v1/Users/"+ada.ID || meta["version"] != `W/"1"` {
			t.Fatalf("meta %v", meta)
		}
	})
	t.Run("removed account is inactive", func(t *testing.T) {
		if u := get(t, boss.ID); u["active"] != false {
			t.Fatalf("active = %v", u["active"])
		}
	})
	t.Run("no email: empty userName, no emails", func(t *testing.T) {
		u := get(t, noMail.ID)
		if u["userName"] != "" || u["emails"] != nil || u[schemaEnterprise] != nil {
			t.Fatalf("got %v", u)
		}
	})
	t.Run("unknown user 404", func(t *testing.T) {
		if r := f.do(t, "GET", "/scim/v1/Users/ffffffffffffffffffffffff", scimTokenA, nil); r.status != 404 {
			t.Fatalf("status %d", r.status)
		}
	})
	t.Run("another tenant's user 404", func(t *testing.T) {
		if r := f.do(t, "GET", "/scim/v1/Users/"+ada.ID, scimTokenB, nil); r.status != 404 {
			t.Fatalf("status %d", r.status)
		}
	})
}
