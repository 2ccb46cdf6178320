package provision

import (
	"strings"
	"sync"
	"unicode"

	"github.com/biter777/countries"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// A country is read exactly or not at all: a guess that turns "N/A" into
// Namibia or "Georgia (US)" into Georgia would overwrite the right country of
// every person at that location, on every run. So a value is an ISO 3166
// alpha-2 or alpha-3 code, or a country's exact short name in English or in
// its own main language, compared without regard to case, accents, spacing
// or "&" against "and", or one of a few common aliases. Everything else,
// placeholders included, cannot be read.

// countryPlaceholders are what people type for "no country". "NA" is also
// Namibia's code, but far more often "not applicable": a Namibian location
// is written "Namibia" or "NAM".
var countryPlaceholders = map[string]bool{
	"na": true, "n/a": true, "n.a.": true, "n.a": true, "n / a": true, "-": true, "--": true, "---": true,
	"none": true, "tbd": true, "tba": true, "unknown": true, "null": true, "nil": true, "?": true,
	"other": true, "various": true, "remote": true, "x": true, "xx": true, "xxx": true, "0": true,
}

// countryAliases are common names that are neither an ISO code nor the short
// name in English or the country's own language. They are looked up after
// the same normalisation as names.
var countryAliases = map[string]string{
	"u.s.": "US", "u.s.a.": "US", "u.s.a": "US", "united states of america": "US", "america": "US",
	"the united states": "US", "the united states of america": "US", "the us": "US", "the usa": "US",
	"uk": "GB", "u.k.": "GB", "the uk": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
	"scotland": "GB", "wales": "GB", "northern ireland": "GB", "the united kingdom": "GB",
	"united kingdom of great britain and northern ireland": "GB",
	"the netherlands": "NL", "holland": "NL", "netherlands the": "NL",
	"the bahamas": "BS", "the gambia": "GM", "the philippines": "PH",
	"czech republic": "CZ", "ivory coast": "CI", "uae": "AE", "u.a.e.": "AE",
	"north macedonia": "MK", "republic of north macedonia": "MK", "burma": "MM", "eswatini": "SZ",
	"east timor": "TL", "republic of ireland": "IE", "south korea": "KR", "korea": "KR",
	"republic of korea": "KR", "north korea": "KP", "people's republic of china": "CN", "prc": "CN",
	"mainland china": "CN", "hong kong": "HK", "macau": "MO", "macao": "MO", "taiwan": "TW",
	"russia": "RU", "vatican": "VA", "vatican city": "VA", "holy see": "VA", "palestine": "PS",
	"dr congo": "CD", "drc": "CD", "democratic republic of congo": "CD", "republic of the congo": "CG",
	"cabo verde": "CV", "turkiye": "TR", "viet nam": "VN", "laos": "LA", "syria": "SY", "iran": "IR",
	"bolivia": "BO", "venezuela": "VE", "tanzania": "TZ", "moldova": "MD", "brunei": "BN",
	"micronesia": "FM", "st. lucia": "LC", "saint lucia": "LC", "curacao": "CW", "reunion": "RE",
	"sao tome and principe": "ST", "caribbean netherlands": "BQ", "bonaire": "BQ",
}

// countryKey is the form a country name is compared in.
func countryKey(s string) string {
	s, _, _ = transform.String(countryFold(), strings.TrimSpace(s))
	s = strings.ToLower(s)
	s = strings.NewReplacer("’", "'", "‘", "'", "&", " and ", "-", " ", "–", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// countryFold takes the accents off letters ("España" → "Espana"). A chain
// keeps state, so each use gets its own: runs plan concurrently.
func countryFold() transform.Transformer {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}

// countryIndex maps every key a country may be written as to its alpha-2 code.
var countryIndex = sync.OnceValue(func() map[string]string {
	idx := map[string]string{}
	ambiguous := map[string]bool{}
	add := func(name, a2 string) {
		k := countryKey(name)
		if k == "" || ambiguous[k] {
			return
		}
		if prev, ok := idx[k]; ok && prev != a2 {
			// Two countries share this name in some language: neither is guessed.
			delete(idx, k)
			ambiguous[k] = true
			return
		}
		idx[k] = a2
	}
	english := display.English.Regions()
	for _, c := range countries.All() {
		a2, a3 := c.Alpha2(), c.Alpha3()
		region, err := language.ParseRegion(a2)
		if len(a2) != 2 || err != nil || english.Name(region) == "" {
			continue // codes withdrawn from ISO 3166 (AN, YU)
		}
		add(a2, a2)
		add(a3, a2)
		add(c.String(), a2)
		add(english.Name(region), a2)
		// The name in the country's own main language ("España", "Deutschland").
		tag, _ := language.Compose(language.Und, region)
		if base, conf := tag.Base(); conf != language.No {
			if lang, err := language.Compose(base); err == nil {
				if names := display.Regions(lang); names != nil {
					add(names.Name(region), a2)
				}
			}
		}
	}
	for alias, a2 := range countryAliases {
		idx[countryKey(alias)] = a2
	}
	return idx
})

// normCountry reads a country name or code ("United States", "USA", "DE",
// "España") as its ISO 3166 alpha-2 code; false when it cannot be read
// exactly.
func normCountry(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" || countryPlaceholders[strings.ToLower(v)] {
		return "", false
	}
	a2, ok := countryIndex()[countryKey(v)]
	return a2, ok
}
