package trinet

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"trinetsync/internal/fault"
	"trinetsync/internal/provision"
)

// TestRejectionsNeverEchoSecretsOrPersonalData: a TriNet that repeats the
// request (credentials, token, personal values) in its 4xx messages must not
// get any of it into our errors, which reach logs, issues and API answers.
func TestRejectionsNeverEchoSecretsOrPersonalData(t *testing.T) {
	const id, secret, token = "cid", "topsecret-value", "AT-echo-123"
	basic := base64.StdEncoding.EncodeToString([]byte(id + ":" + secret))
	echo := func(w http.ResponseWriter, r *http.Request, body string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		msg := strings.ReplaceAll("you sent "+r.Header.Get("Authorization")+" and "+body+" secret="+secret, `"`, `'`)
		_, _ = w.Write([]byte(`{"_statusMessage":"` + msg + `","data":{"errors":[{"field":"biographicalInfo.ethnicity=HISPA","message":"bad"}]}}`))
	}
	rejectToken := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := make([]byte, r.ContentLength)
		_, _ = r.Body.Read(body)
		if strings.HasPrefix(r.URL.Path, "/oauth") {
			if rejectToken {
				echo(w, r, "")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"token_type":"BearerToken","access_token":"` + token + `","expires_in":"3599"}`))
			return
		}
		echoed := string(body)
		if strings.Contains(echoed, "1978-04-12") {
			echoed += " birth date 04/12/1978"
		}
		echo(w, r, echoed)
	}))
	defer srv.Close()
	c := stubClient(t, srv.URL, func(cfg *Config) { cfg.ClientID, cfg.ClientSecret = id, secret })
	ctx := context.Background()

	never := []string{secret, basic, token, "1978-04-12", "04/12/1978", "HISPA", "123456789", "123-45-6789", "+14155550100", "1 Main St"}
	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: accepted", what)
		}
		for _, v := range never {
			if strings.Contains(err.Error(), v) {
				t.Errorf("%s: error quotes %q: %v", what, v, err)
			}
		}
		if f := fault.FieldOf(err); strings.Contains(f, "=") {
			t.Errorf("%s: field %q carries a value", what, f)
		}
	}
	check("personals", c.UpdatePersonals(ctx, "00001", provision.PersonalsUpdate{Ethnicity: "HISPA", BirthDate: "1978-04-12"}))
	check("jobs", c.UpdateJobs(ctx, "00001", provision.JobsUpdate{WorkPhone: "+14155550100"}))
	_, err := c.Hire(ctx, provision.Hire{FirstName: "Ada", LastName: "Lovelace", StartDate: "2099-01-01", NationalID: "123-45-6789",
		BirthDate: "1978-04-12", Ethnicity: "HISPA", Address1: "1 Main St", WorkPhone: "+14155550100"})
	check("hire", err)

	rejectToken = true
	other := stubClient(t, srv.URL, func(cfg *Config) { cfg.ClientID, cfg.ClientSecret = id+"2", secret })
	_, err = other.OrgDetails(ctx)
	check("token", err)
}
