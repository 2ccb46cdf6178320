package demo

import (
	"fmt"
	"io"
	"strings"
)

// WriteUsage prints where the two sandboxes listen, the demo credentials and
// a few curl lines to try them. trinetURL and leapsomeURL are base URLs
// without a path (the Leapsome sandbox serves /v1 and /scim/v1 under it).
// The credentials are the sandbox's own demo values, safe to show.
func WriteUsage(w io.Writer, trinetURL, leapsomeURL string, c Credentials) error {
	trinetURL = strings.TrimSuffix(trinetURL, "/")
	leapsomeURL = strings.TrimSuffix(leapsomeURL, "/")
	liam := LeapsomeID(8)
	_, err := fmt.Fprintf(w, `Demo company %[1]q is seeded in both sandboxes.

TriNet sandbox      %[2]s
  company id        %[3]s
  client id         %[4]s
  client secret     %[5]s

Leapsome sandbox    Content API %[6]s/v1
                    SCIM API    %[6]s/scim/v1
  tenant            %[7]s
  API secret        %[8]s
  SCIM token        %[9]s

Try:
  # Leapsome: a token, then the people (the Content API) and the SCIM users
  LS_TOKEN=$(curl -s '%[6]s/v1/token?secret=%[8]s' | sed -E 's/.*"token":"([^"]+)".*/\1/')
  curl -s -H "Authorization: Bearer $LS_TOKEN" '%[6]s/v1/employees?page=1&pageSize=1000'
  curl -s -H 'Authorization: Bearer %[9]s' '%[6]s/scim/v1/Users?startIndex=1&count=100'

  # TriNet: a token, then the employees
  TN_TOKEN=$(curl -s -u '%[4]s:%[5]s' '%[2]s/oauth/accesstoken?grant_type=client_credentials' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -H "Authorization: Bearer $TN_TOKEN" '%[2]s/v1/company/%[3]s/employees?viewType=All&offset=1&limit=100'

  # Admin surfaces (no auth): edit a person in Leapsome, see what TriNet received, approve a hire
  curl -s -X PUT -d '{"title":"Staff Software Engineer"}' '%[6]s/_admin/tenants/%[7]s/employees/%[10]s'
  curl -s '%[2]s/_admin/companies/%[3]s/writes'
  curl -s -X POST '%[2]s/_admin/companies/%[3]s/employees/<employeeId>/approve'
`, CompanyName, trinetURL, c.TriNetCompanyID, c.TriNetClientID, c.TriNetClientSecret,
		leapsomeURL, c.LeapsomeTenant, c.LeapsomeAPISecret, c.LeapsomeSCIMToken, liam)
	return err
}
