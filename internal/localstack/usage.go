package localstack

import (
	"fmt"
	"io"
	"strings"
	"text/template"
	"time"

	"trinetsync/internal/sandbox/demo"
)

// TokenTTL is how long the printed tokens last.
const TokenTTL = 7 * 24 * time.Hour

var usage = template.Must(template.New("usage").Parse(`
trinet-sync is running on this machine: the same handlers as the Lambda functions, over the real AWS SDK.

  API                 {{.API}}        (health: {{.API}}/healthz)
  TriNet              {{.TriNet}}{{if .TriNetSandbox}}   (sandbox){{end}}
  Leapsome            {{.Leapsome}}{{if .LeapsomeSandbox}}   (sandbox){{end}}
  Leapsome SCIM       {{.SCIM}}
  DynamoDB            {{.DynamoDB}}   (dynalite, table {{.Table}})
  SQS                 {{.SQS}}   (goaws, queues {{.Queue}} and {{.DLQ}})
  Secrets Manager     {{.Secrets}}   (stand-in, files in {{.SecretsDir}})
  Data                {{.DataDir}}
{{- if .Events}}
  Events              {{.Events}}   (what goes on EventBridge in AWS; also printed below)
{{- end}}
{{- if .Metrics}}
  Metrics             {{.Metrics}}   (CloudWatch EMF lines, as the functions print them)
{{- end}}
  Schedule            every {{.Interval}}

Tokens (HS256, signed with LOCAL_JWT_SECRET{{if .SecretKept}}, kept in {{.SecretKept}}{{end}}; valid {{.TTL}}):
  export ADMIN_TOKEN={{.AdminToken}}
{{- if .Tenant}}
  export TOKEN={{.TenantToken}}   # tenant {{.Tenant}} only
{{- end}}
{{- if .Tenant}}

Try (tenant {{.Tenant}}):
  curl -s -H "Authorization: Bearer $TOKEN" {{.API}}/v1/tenants/{{.Tenant}}/connection
  curl -s -H "Authorization: Bearer $TOKEN" {{.API}}/v1/tenants/{{.Tenant}}/settings
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -d '{"dryRun":true}' {{.API}}/v1/tenants/{{.Tenant}}/syncs
  curl -s -X POST -H "Authorization: Bearer $TOKEN" -d '{}' {{.API}}/v1/tenants/{{.Tenant}}/syncs
  curl -s -H "Authorization: Bearer $TOKEN" {{.API}}/v1/tenants/{{.Tenant}}/syncs
  curl -s -H "Authorization: Bearer $TOKEN" {{.API}}/v1/tenants/{{.Tenant}}/syncs/<syncId>/plan
  curl -s -H "Authorization: Bearer $TOKEN" {{.API}}/v1/tenants/{{.Tenant}}/errors
{{- if .Connect}}
  curl -s -X PUT -H "Authorization: Bearer $TOKEN" -d '{{.Connect}}' {{.API}}/v1/tenants/{{.Tenant}}/connection
{{- end}}
  # revoke as in the AWS console, with the AWS CLI (dummy keys; README: "Revocation")
  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 \
    aws --endpoint-url {{.Secrets}} secretsmanager delete-secret --secret-id {{.SecretName}} --recovery-window-in-days 7
{{- end}}
{{- if .Demo}}

The demo company in the sandbox{{if and .TriNetSandbox .LeapsomeSandbox}}es{{end}} (admin surfaces, no auth):
{{- if .LeapsomeSandbox}}
  # change a person in Leapsome, then sync and see the change reach TriNet
  curl -s -X PUT -d '{"title":"Staff Software Engineer"}' {{.LeapsomeBase}}/_admin/tenants/{{.Demo.LeapsomeTenant}}/employees/{{.Liam}}
{{- end}}
{{- if .TriNetSandbox}}
  # what TriNet received, and approving a pending hire
  curl -s {{.TriNet}}/_admin/companies/{{.Demo.TriNetCompanyID}}/writes
  curl -s -X POST {{.TriNet}}/_admin/companies/{{.Demo.TriNetCompanyID}}/employees/<employeeId>/approve
{{- end}}
{{- end}}
{{- if .Note}}

Note: {{.Note}}
{{- end}}
{{- if .FirstSync}}

First sync {{.FirstSync}} queued; progress follows. Ctrl-C stops everything (state is kept in {{.DataDir}}).
{{- else}}

Progress follows. Ctrl-C stops everything (state is kept in {{.DataDir}}).
{{- end}}
`))

// WriteUsage prints where everything listens, ready tokens and curl lines.
// The tokens are printed on purpose: they are for this machine's API only.
func (st *Stack) WriteUsage(w io.Writer) error {
	admin, err := st.Token("", true, TokenTTL)
	if err != nil {
		return err
	}
	inf := st.Infra
	data := map[string]any{
		"API": st.APIURL, "TriNet": inf.TriNetURL, "Leapsome": inf.LeapsomeURL, "SCIM": inf.LeapsomeSCIMURL,
		"TriNetSandbox": inf.TriNet != nil, "LeapsomeSandbox": inf.Leapsome != nil,
		"DynamoDB": inf.Dynalite.Endpoint(), "SQS": inf.Goaws.Endpoint(), "Secrets": inf.SecretsURL, "SecretsDir": inf.SecretsDir,
		"Table": TableName, "Queue": QueueName, "DLQ": DLQName, "Interval": st.cfg.SyncInterval.String(),
		"DataDir": st.cfg.DataDir, "TTL": TokenTTL.String(), "AdminToken": admin,
		"Note": st.DemoNote, "FirstSync": st.FirstSyncID, "Events": st.EventsPath, "Metrics": st.MetricsPath,
	}
	if st.cfg.DataDir == "" {
		data["DataDir"] = "memory (DATA_DIR empty)"
	}
	if st.cfg.JWTSecret == "" && st.cfg.DataDir != "" {
		data["SecretKept"] = st.cfg.DataDir + "/" + jwtSecretFile
	}
	if st.DemoTenant != "" {
		tok, err := st.Token(st.DemoTenant, false, TokenTTL)
		if err != nil {
			return err
		}
		data["Tenant"], data["TenantToken"] = st.DemoTenant, tok
		data["SecretName"] = SecretPrefix + st.DemoTenant
	}
	if inf.TriNet != nil || inf.Leapsome != nil {
		data["Demo"] = demo.DefaultCredentials()
		data["Liam"] = demo.LeapsomeID(8)
		data["LeapsomeBase"] = strings.TrimSuffix(inf.LeapsomeURL, "/v1")
	}
	// The connect line needs every credential: only the sandboxes' are known.
	if inf.TriNet != nil && inf.Leapsome != nil {
		d := demo.DefaultCredentials()
		data["Connect"] = fmt.Sprintf(`{"trinet":{"companyId":%q,"clientId":%q,"clientSecret":%q},"leapsome":{"apiSecret":%q,"scimToken":%q}}`,
			d.TriNetCompanyID, d.TriNetClientID, d.TriNetClientSecret, d.LeapsomeAPISecret, d.LeapsomeSCIMToken)
	}
	return usage.Execute(w, data)
}
