package standin

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// ListSecrets is the first call of the AWS console's secrets page and of
// `aws secretsmanager list-secrets`, which an operator uses locally to find a
// tenant's secret before deleting or restoring it. It pages, sorts and filters
// as Secrets Manager documents; what the stand-in does not keep (tags, regions,
// owning services, access dates) is absent, so a filter on it matches nothing
// (and its negation everything).

// Limits of the ListSecrets request, as Secrets Manager documents them.
const (
	maxListResults  = 100
	maxFilterValues = 10
	maxFilterValue  = 512
)

var filterValuePattern = regexp.MustCompile(`^!?[a-zA-Z0-9 :_@/+=.\-!]*$`)

// filter is one of the request's Filters: a secret passes it when one of the
// plain values matches (or there is none) and none of the negated ("!")
// values does.
type filter struct {
	Key    string
	Values []string
}

type listInput struct {
	MaxResults             *int64
	NextToken              *string
	Filters                []filter
	IncludePlannedDeletion *bool
	SortBy                 string
	SortOrder              string
}

// listToken is NextToken: where the last page ended, in the order of the query
// it belongs to (a token is refused by any other query).
type listToken struct {
	Query string `json:"q"`
	Key   string `json:"k"`
	Name  string `json:"n"`
}

func invalidNextToken() error {
	return &apiError{Type: "InvalidNextTokenException", Message: "The NextToken value is invalid."}
}

func (s *Server) listSecrets(body []byte) (any, error) {
	var in listInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := maxListResults
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxListResults {
			return nil, invalidParam("MaxResults must be between 1 and %d.", maxListResults)
		}
		limit = int(*in.MaxResults)
	}
	sortKey, err := sortKeyOf(in.SortBy)
	if err != nil {
		return nil, err
	}
	desc := false
	switch in.SortOrder {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return nil, invalidParam("SortOrder must be asc or desc.")
	}
	if err := checkFilters(in.Filters); err != nil {
		return nil, err
	}
	includeDeleted := in.IncludePlannedDeletion != nil && *in.IncludePlannedDeletion

	recs, err := s.all()
	if err != nil {
		return nil, err
	}
	recs = slices.DeleteFunc(recs, func(r *record) bool {
		return (r.Deleted != nil && !includeDeleted) || !matchesAll(r, in.Filters)
	})
	order := func(a, b *record) int {
		c := cmp.Or(strings.Compare(sortKey(a), sortKey(b)), strings.Compare(a.Name, b.Name))
		if desc {
			return -c
		}
		return c
	}
	slices.SortFunc(recs, order)

	query := queryID(in, includeDeleted)
	if in.NextToken != nil {
		tok, err := decodeToken(*in.NextToken)
		if err != nil || tok.Query != query {
			return nil, invalidNextToken()
		}
		// The first secret after the token's, in the query's order: a secret
		// created or deleted between two pages moves no other one.
		i := 0
		for i < len(recs) {
			c := cmp.Or(strings.Compare(sortKey(recs[i]), tok.Key), strings.Compare(recs[i].Name, tok.Name))
			if desc {
				c = -c
			}
			if c > 0 {
				break
			}
			i++
		}
		recs = recs[i:]
	}
	out := map[string]any{}
	entries := make([]map[string]any, 0, min(limit, len(recs)))
	for _, r := range recs[:min(limit, len(recs))] {
		entries = append(entries, listEntry(r))
	}
	out["SecretList"] = entries
	if len(recs) > limit {
		last := recs[limit-1]
		out["NextToken"] = encodeToken(listToken{Query: query, Key: sortKey(last), Name: last.Name})
	}
	return out, nil
}

// listEntry is one SecretListEntry: what `aws secretsmanager list-secrets`
// prints of a secret, never its value.
func listEntry(r *record) map[string]any {
	e := map[string]any{
		"ARN": r.ARN, "Name": r.Name, "CreatedDate": epoch(r.Created), "LastChangedDate": epoch(r.Changed),
		"SecretVersionsToStages": map[string][]string{r.VersionID: {"AWSCURRENT"}},
	}
	if r.Description != "" {
		e["Description"] = r.Description
	}
	if r.Deleted != nil {
		e["DeletedDate"] = epoch(*r.Deleted)
	}
	return e
}

// sortKeyOf gives the text each secret sorts by, for SortBy: dates as
// fixed-width UTC text, so that text order is time order.
func sortKeyOf(sortBy string) (func(*record) string, error) {
	date := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }
	switch sortBy {
	case "", "created-date", "last-accessed-date":
		// No access is recorded, so every secret's LastAccessedDate is equally
		// unknown; they keep the default order.
		return func(r *record) string { return date(r.Created) }, nil
	case "last-changed-date":
		return func(r *record) string { return date(r.Changed) }, nil
	case "name":
		return func(*record) string { return "" }, nil
	}
	return nil, invalidParam("SortBy must be created-date, last-accessed-date, last-changed-date or name.")
}

func checkFilters(filters []filter) error {
	for _, f := range filters {
		switch f.Key {
		case "description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all":
		default:
			return invalidParam("Filters.Key must be one of description, name, tag-key, tag-value, primary-region, owning-service, all.")
		}
		if len(f.Values) < 1 || len(f.Values) > maxFilterValues {
			return invalidParam("Filters.Values must hold 1 to %d values.", maxFilterValues)
		}
		for _, v := range f.Values {
			if len(v) > maxFilterValue || !filterValuePattern.MatchString(v) {
				return invalidParam("Filters.Values: a value is longer than %d characters or has a character outside [a-zA-Z0-9 :_@/+=.-!].", maxFilterValue)
			}
		}
	}
	return nil
}

// matchesAll: a secret is listed when it passes every filter.
func matchesAll(r *record, filters []filter) bool {
	for _, f := range filters {
		plain, matched := false, false
		for _, v := range f.Values {
			if neg, ok := strings.CutPrefix(v, "!"); ok {
				if matches(r, f.Key, neg) {
					return false
				}
				continue
			}
			plain = true
			matched = matched || matches(r, f.Key, v)
		}
		if plain && !matched {
			return false
		}
	}
	return true
}

// matches applies one filter value, as Secrets Manager documents each key.
func matches(r *record, key, value string) bool {
	switch key {
	case "name":
		return strings.HasPrefix(r.Name, value) // case-sensitive
	case "description":
		return strings.HasPrefix(strings.ToLower(r.Description), strings.ToLower(value))
	case "all":
		// The value's words, each a case-insensitive prefix of a word of the
		// name or the description: one is enough.
		have := append(words(r.Name), words(r.Description)...)
		for _, w := range words(value) {
			for _, h := range have {
				if strings.HasPrefix(h, w) {
					return true
				}
			}
		}
		return false
	}
	// Tags, primary region, owning service: the stand-in keeps none.
	return false
}

// words splits text where Secrets Manager's search does: at anything but a
// letter or digit, between a lower-case and an upper-case letter, and between
// a letter and a digit. Words are lower-cased.
func words(text string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, c := range text {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			flush()
			continue
		}
		if n := len(cur); n > 0 {
			p := cur[n-1]
			if (unicode.IsLower(p) && unicode.IsUpper(c)) || unicode.IsDigit(p) != unicode.IsDigit(c) {
				flush()
			}
		}
		cur = append(cur, c)
	}
	flush()
	return out
}

// queryID names a query (everything but paging) in its tokens.
func queryID(in listInput, includeDeleted bool) string {
	raw, _ := json.Marshal([]any{in.Filters, includeDeleted, in.SortBy, in.SortOrder})
	sum := sha256.Sum256(raw)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

func encodeToken(t listToken) string {
	raw, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeToken(s string) (listToken, error) {
	var t listToken
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return t, err
	}
	err = json.Unmarshal(raw, &t)
	return t, err
}

// all reads every secret in the folder. Scheduled deletions that have fallen
// due are carried out, as in load; a file the stand-in did not write is an
// error naming it, as in load, rather than a secret silently left out.
func (s *Server) all() ([]*record, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []*record
	for _, e := range entries {
		// Skipped: the temporary files of a save, and anything but files.
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(s.Dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by hand while listing
		}
		if err != nil {
			return nil, err
		}
		var rec record
		if err := json.Unmarshal(raw, &rec); err != nil || FileName(rec.Name) != e.Name() {
			return nil, fmt.Errorf("%s is not a stand-in secret file", e.Name())
		}
		if rec.DeletionDue != nil && !s.Now().Before(*rec.DeletionDue) {
			if err := os.Remove(filepath.Join(s.Dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
			continue
		}
		recs = append(recs, &rec)
	}
	return recs, nil
}
