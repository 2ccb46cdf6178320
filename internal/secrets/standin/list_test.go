package standin_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"
)

// listAll pages through ListSecrets with the SDK's own paginator, as the AWS
// CLI does, and answers the names in order and the number of pages.
func listAll(t *testing.T, e *env, in *secretsmanager.ListSecretsInput, pageSize int32) ([]string, int) {
	t.Helper()
	p := secretsmanager.NewListSecretsPaginator(e.client, in, func(o *secretsmanager.ListSecretsPaginatorOptions) { o.Limit = pageSize })
	var names []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListSecrets page %d: %v", pages+1, err)
		}
		pages++
		if pageSize > 0 && len(out.SecretList) > int(pageSize) {
			t.Fatalf("page %d holds %d secrets, MaxResults %d", pages, len(out.SecretList), pageSize)
		}
		for _, s := range out.SecretList {
			names = append(names, aws.ToString(s.Name))
		}
		if pages > 100 {
			t.Fatal("the paginator never ends")
		}
	}
	return names, pages
}

func filterBy(key types.FilterNameStringType, values ...string) []types.Filter {
	return []types.Filter{{Key: key, Values: values}}
}

// TestListSecrets: the stand-in answers ListSecrets as Secrets Manager does —
// paging through the SDK's paginator, filters, planned deletions shown only on
// request and with their DeletedDate, sort orders — so that the AWS CLI and
// console work against the local stack.
func TestListSecrets(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created := map[string]*secretsmanager.CreateSecretOutput{}
	createdAt := map[string]time.Time{}
	// Created one minute apart, in this order, except that t3 and t4 share a
	// second (the name breaks the tie).
	for _, s := range []struct{ name, desc string }{
		{"trinet-sync/tenants/t1", "Tenant one"},
		{"trinet-sync/tenants/t2", ""},
		{"other/app", "Payroll bridge"},
		{"trinet-sync/tenants/t4", ""},
		{"trinet-sync/tenants/t3", ""},
		{"trinet-sync/tenants/t5", ""},
		{"zeta", "Keys for the Zeta42 importer"},
	} {
		in := &secretsmanager.CreateSecretInput{Name: aws.String(s.name), SecretString: aws.String("value-of-" + s.name)}
		if s.desc != "" {
			in.Description = aws.String(s.desc)
		}
		out, err := e.client.CreateSecret(ctx, in)
		if err != nil {
			t.Fatalf("CreateSecret %s: %v", s.name, err)
		}
		created[s.name], createdAt[s.name] = out, e.clock.Now()
		if s.name != "trinet-sync/tenants/t4" {
			e.clock.Advance(time.Minute)
		}
	}
	byCreation := []string{"trinet-sync/tenants/t1", "trinet-sync/tenants/t2", "other/app",
		"trinet-sync/tenants/t3", "trinet-sync/tenants/t4", "trinet-sync/tenants/t5", "zeta"}

	t.Run("every page through the paginator, by creation", func(t *testing.T) {
		for _, size := range []int32{0, 1, 2, 3, 7, 100} {
			names, pages := listAll(t, e, &secretsmanager.ListSecretsInput{}, size)
			if !slices.Equal(names, byCreation) {
				t.Errorf("page size %d: %v, want %v", size, names, byCreation)
			}
			want := 1
			if size > 0 {
				want = (len(byCreation) + int(size) - 1) / int(size)
			}
			if pages != want {
				t.Errorf("page size %d: %d pages, want %d", size, pages, want)
			}
		}
	})

	t.Run("fields the CLI prints, never the value", func(t *testing.T) {
		out, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: filterBy(types.FilterNameStringTypeName, "trinet-sync/tenants/t1")})
		if err != nil || len(out.SecretList) != 1 {
			t.Fatalf("ListSecrets = %+v, %v", out, err)
		}
		s := out.SecretList[0]
		c := created["trinet-sync/tenants/t1"]
		if aws.ToString(s.ARN) != aws.ToString(c.ARN) || aws.ToString(s.Description) != "Tenant one" {
			t.Errorf("entry = ARN %s, description %q; want %s, %q", aws.ToString(s.ARN), aws.ToString(s.Description), aws.ToString(c.ARN), "Tenant one")
		}
		at := createdAt["trinet-sync/tenants/t1"]
		if s.CreatedDate == nil || !s.CreatedDate.Equal(at) || s.LastChangedDate == nil || !s.LastChangedDate.Equal(at) {
			t.Errorf("CreatedDate %v, LastChangedDate %v; want both %v", s.CreatedDate, s.LastChangedDate, at)
		}
		if got := s.SecretVersionsToStages[aws.ToString(c.VersionId)]; len(s.SecretVersionsToStages) != 1 || !slices.Equal(got, []string{"AWSCURRENT"}) {
			t.Errorf("SecretVersionsToStages = %v, want {%s: [AWSCURRENT]}", s.SecretVersionsToStages, aws.ToString(c.VersionId))
		}
		if s.DeletedDate != nil {
			t.Errorf("DeletedDate = %v on a live secret", s.DeletedDate)
		}
		req, _ := http.NewRequest(http.MethodPost, e.url+"/", strings.NewReader(`{}`))
		req.Header.Set("X-Amz-Target", "secretsmanager.ListSecrets")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(raw), "value-of-") || strings.Contains(string(raw), "SecretString") {
			t.Errorf("ListSecrets shows secret values: %s", raw)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tt := range []struct {
			name    string
			filters []types.Filter
			want    []string
		}{
			{"name prefix", filterBy(types.FilterNameStringTypeName, "trinet-sync/tenants/"),
				[]string{"trinet-sync/tenants/t1", "trinet-sync/tenants/t2", "trinet-sync/tenants/t3", "trinet-sync/tenants/t4", "trinet-sync/tenants/t5"}},
			{"one tenant", filterBy(types.FilterNameStringTypeName, "trinet-sync/tenants/t3"), []string{"trinet-sync/tenants/t3"}},
			{"name is case-sensitive", filterBy(types.FilterNameStringTypeName, "Trinet-sync/"), nil},
			{"either of two names", filterBy(types.FilterNameStringTypeName, "zeta", "other/"), []string{"other/app", "zeta"}},
			{"negated name", filterBy(types.FilterNameStringTypeName, "!trinet-sync/"), []string{"other/app", "zeta"}},
			{"plain and negated", filterBy(types.FilterNameStringTypeName, "trinet-sync/", "!trinet-sync/tenants/t2", "!trinet-sync/tenants/t4"),
				[]string{"trinet-sync/tenants/t1", "trinet-sync/tenants/t3", "trinet-sync/tenants/t5"}},
			{"description prefix, any case", filterBy(types.FilterNameStringTypeDescription, "payroll"), []string{"other/app"}},
			{"all: a word of the name or description", filterBy(types.FilterNameStringTypeAll, "zeta42"), []string{"zeta"}},
			{"all: any word", filterBy(types.FilterNameStringTypeAll, "ONE_bridge"), []string{"trinet-sync/tenants/t1", "other/app"}},
			{"no tags here", filterBy(types.FilterNameStringTypeTagKey, "team"), nil},
			{"no tags to exclude", filterBy(types.FilterNameStringTypeTagKey, "!team"), byCreation},
			{"two filters, both must hold", []types.Filter{
				{Key: types.FilterNameStringTypeName, Values: []string{"trinet-sync/"}},
				{Key: types.FilterNameStringTypeDescription, Values: []string{"tenant"}},
			}, []string{"trinet-sync/tenants/t1"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, _ := listAll(t, e, &secretsmanager.ListSecretsInput{Filters: tt.filters}, 2)
				if !slices.Equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("sort orders", func(t *testing.T) {
		desc, _ := listAll(t, e, &secretsmanager.ListSecretsInput{SortOrder: types.SortOrderTypeDesc}, 3)
		want := slices.Clone(byCreation)
		slices.Reverse(want)
		if !slices.Equal(desc, want) {
			t.Errorf("desc = %v, want %v", desc, want)
		}
		byName, _ := listAll(t, e, &secretsmanager.ListSecretsInput{SortBy: types.SortByTypeName}, 3)
		if want := slices.Sorted(slices.Values(byCreation)); !slices.Equal(byName, want) {
			t.Errorf("by name = %v, want %v", byName, want)
		}
	})

	t.Run("a secret deleted between two pages moves no other", func(t *testing.T) {
		first, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(3)})
		if err != nil || first.NextToken == nil {
			t.Fatalf("first page: %+v, %v", first, err)
		}
		if _, err := e.client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("late"), SecretString: aws.String("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("trinet-sync/tenants/t3"), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		second, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(3), NextToken: first.NextToken})
		if err != nil || len(second.SecretList) == 0 {
			t.Fatalf("second page: %+v, %v", second, err)
		}
		if got := aws.ToString(second.SecretList[0].Name); got != "trinet-sync/tenants/t4" {
			t.Errorf("second page starts with %s, want trinet-sync/tenants/t4", got)
		}
	})

	t.Run("planned deletions: hidden unless asked, with DeletedDate; restore brings them back", func(t *testing.T) {
		const name = "trinet-sync/tenants/t2"
		deletedAt := e.clock.Now()
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatalf("DeleteSecret: %v", err)
		}
		e.clock.Advance(time.Hour)
		tenants := filterBy(types.FilterNameStringTypeName, "trinet-sync/tenants/")
		if got, _ := listAll(t, e, &secretsmanager.ListSecretsInput{Filters: tenants}, 0); slices.Contains(got, name) {
			t.Errorf("a secret scheduled for deletion is listed by default: %v", got)
		}
		out, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: tenants, IncludePlannedDeletion: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var found *types.SecretListEntry
		for i, s := range out.SecretList {
			if aws.ToString(s.Name) == name {
				found = &out.SecretList[i]
			} else if s.DeletedDate != nil {
				t.Errorf("%s has DeletedDate %v", aws.ToString(s.Name), s.DeletedDate)
			}
		}
		if found == nil || found.DeletedDate == nil || !found.DeletedDate.Equal(deletedAt) {
			t.Fatalf("IncludePlannedDeletion: %s = %+v, want DeletedDate %v", name, found, deletedAt)
		}
		if _, err := e.client.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String(name)}); err != nil {
			t.Fatalf("RestoreSecret: %v", err)
		}
		out, err = e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{Filters: filterBy(types.FilterNameStringTypeName, name)})
		if err != nil || len(out.SecretList) != 1 || out.SecretList[0].DeletedDate != nil {
			t.Fatalf("after RestoreSecret: %+v, %v", out, err)
		}
		v, err := e.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
		if err != nil || aws.ToString(v.SecretString) != "value-of-"+name {
			t.Fatalf("GetSecretValue after RestoreSecret = %+v, %v", v, err)
		}
	})

	t.Run("a deletion fallen due is carried out", func(t *testing.T) {
		const name = "trinet-sync/tenants/t5"
		if _, err := e.client.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(name), RecoveryWindowInDays: aws.Int64(7)}); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(7*24*time.Hour + time.Second)
		got, _ := listAll(t, e, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(true)}, 0)
		if slices.Contains(got, name) {
			t.Errorf("listed after its recovery window: %v", got)
		}
		if _, err := os.Stat(e.file("t5")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("its file is still there: %v", err)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		page, err := e.client.ListSecrets(ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(1)})
		if err != nil || page.NextToken == nil {
			t.Fatalf("ListSecrets: %+v, %v", page, err)
		}
		tooMany := make([]string, 11)
		for i := range tooMany {
			tooMany[i] = "x"
		}
		for _, tt := range []struct {
			name string
			in   secretsmanager.ListSecretsInput
			code string
		}{
			{"MaxResults 0", secretsmanager.ListSecretsInput{MaxResults: aws.Int32(0)}, "InvalidParameterException"},
			{"MaxResults 101", secretsmanager.ListSecretsInput{MaxResults: aws.Int32(101)}, "InvalidParameterException"},
			{"unknown filter key", secretsmanager.ListSecretsInput{Filters: filterBy("colour", "x")}, "InvalidParameterException"},
			{"no filter value", secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName}}}, "InvalidParameterException"},
			{"eleven filter values", secretsmanager.ListSecretsInput{Filters: filterBy(types.FilterNameStringTypeName, tooMany...)}, "InvalidParameterException"},
			{"filter value with a bad character", secretsmanager.ListSecretsInput{Filters: filterBy(types.FilterNameStringTypeName, "a*")}, "InvalidParameterException"},
			{"bad sort order", secretsmanager.ListSecretsInput{SortOrder: "sideways"}, "InvalidParameterException"},
			{"bad sort key", secretsmanager.ListSecretsInput{SortBy: "size"}, "InvalidParameterException"},
			{"made-up token", secretsmanager.ListSecretsInput{NextToken: aws.String("not-a-token")}, "InvalidNextTokenException"},
			{"token of another query", secretsmanager.ListSecretsInput{MaxResults: aws.Int32(1), NextToken: page.NextToken, SortOrder: types.SortOrderTypeDesc}, "InvalidNextTokenException"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				_, err := e.client.ListSecrets(ctx, &tt.in)
				var api smithy.APIError
				if !errors.As(err, &api) || api.ErrorCode() != tt.code || api.ErrorMessage() == "" {
					t.Fatalf("err = %v, want %s with a message", err, tt.code)
				}
			})
		}
	})
}
