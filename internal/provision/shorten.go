package provision

import "unicode/utf8"

// Shorten cuts s to at most limit bytes on a character boundary, marking the
// cut with "…", so a shortened message or value stays valid UTF-8. Issue
// messages, stored plan values and quoted upstream messages all use it.
func Shorten(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
