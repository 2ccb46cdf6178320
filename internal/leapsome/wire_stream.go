package leapsome

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// Pages are read as they stream: the envelope's keys one by one and each
// item of its list decoded as it arrives, so a page is never held whole (a
// SCIM page of 5,000 users is megabytes) and its bytes are not scanned again
// to find the list and then to split it. The rules are those of the
// envelope types of wire.go, which decodeContentPage and decodeSCIMPage (over
// a body in memory) share with the client:
//   - the page must be a JSON object, valid to its end with nothing after it;
//   - keys match as encoding/json matches them to fields (case-insensitively),
//     and of a repeated key the last occurrence wins;
//   - the list must be an array (or null; absent only where wire.go allows);
//     the paging numbers are optInts inside an optional object.

// streamedPage is what a page's envelope says besides its items.
type streamedPage struct {
	total   int64 // -1 when the server gave none
	perPage int64 // 0 when the server gave none
	items   int   // items handed out (of the list's last occurrence)
}

// envelope describes a list page: the key of its list, and how the other
// keys it reads are decoded.
type envelope struct {
	list string
	// other decodes the value of any other key into the envelope's state
	// (keys it does not read are skipped by it).
	other func(dec *json.Decoder, key string) error
	// finish gives the paging numbers and whether an absent list is an
	// empty one.
	finish func() (total, perPage int64, mayBeAbsent bool)
}

func contentEnvelope() envelope {
	var meta optObj[struct {
		PageSize   optInt `json:"pageSize"`
		TotalCount optInt `json:"totalCount"`
	}]
	return envelope{
		list: "data",
		other: func(dec *json.Decoder, key string) error {
			if strings.EqualFold(key, "meta") {
				return dec.Decode(&meta)
			}
			return dec.Decode(&skipValue{})
		},
		finish: func() (int64, int64, bool) {
			return meta.v.TotalCount.get(-1), meta.v.PageSize.get(0), false
		},
	}
}

func scimEnvelope() envelope {
	var total, perPage optInt
	return envelope{
		list: "Resources",
		other: func(dec *json.Decoder, key string) error {
			switch {
			case strings.EqualFold(key, "totalResults"):
				return dec.Decode(&total)
			case strings.EqualFold(key, "itemsPerPage"):
				return dec.Decode(&perPage)
			}
			return dec.Decode(&skipValue{})
		},
		finish: func() (int64, int64, bool) {
			// SCIM servers commonly leave Resources out of an empty list (RFC
			// 7644 §3.4.2 makes it required only when totalResults > 0).
			return total.get(-1), perPage.get(0), total.set && total.n == 0
		},
	}
}

// skipValue consumes a value without keeping it.
type skipValue struct{}

func (skipValue) UnmarshalJSON([]byte) error { return nil }

// streamPage reads one page of env's shape from r and hands each item of its
// list to each, in order; an item's bytes are valid only during the call. A
// repeated list key hands out its items again after reset: the caller keeps
// only what follows the last reset. Errors quote nothing of the body (see
// badJSON).
func streamPage(op string, r io.Reader, env envelope, each func(raw json.RawMessage), reset func()) (streamedPage, error) {
	dec := json.NewDecoder(r)
	fail := func(err error) (streamedPage, error) { return streamedPage{}, badJSON(op, err) }
	tok, err := dec.Token()
	if err != nil {
		return fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fail(errShape)
	}
	var (
		listSet, listBad bool
		n                int
	)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fail(err)
		}
		key, _ := tok.(string)
		if !strings.EqualFold(key, env.list) {
			if err := env.other(dec, key); err != nil {
				return fail(err)
			}
			continue
		}
		if listSet {
			reset()
		}
		listSet, listBad, n = true, false, 0
		tok, err = dec.Token()
		if err != nil {
			return fail(err)
		}
		switch tok {
		case nil: // null: an empty list
			continue
		case json.Delim('['):
		case json.Delim('{'):
			listBad = true
			if err := skipNested(dec); err != nil {
				return fail(err)
			}
			continue
		default:
			listBad = true
			continue
		}
		// The items are read by an itemReader (wire_items.go) from what the
		// decoder has buffered on; the decoder goes on after the list with
		// a '{' in place of the ',' that follows it, so that it reads the
		// rest of the envelope as the members of an object.
		ir := newItemReader(io.MultiReader(dec.Buffered(), r))
		if err := ir.each(func(item []byte) { each(item); n++ }); err != nil {
			return fail(err)
		}
		c, err := ir.nextByte()
		if err != nil {
			return fail(err)
		}
		switch c {
		case ',':
			ir.pos++
		case '}':
		default:
			return fail(errShape)
		}
		dec = json.NewDecoder(io.MultiReader(strings.NewReader("{"), ir.rest()))
		if _, err := dec.Token(); err != nil {
			return fail(err)
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return fail(err)
	}
	// Nothing may follow the page but white space.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errShape
		}
		return fail(err)
	}
	total, perPage, mayBeAbsent := env.finish()
	if (!listSet && !mayBeAbsent) || listBad {
		return fail(errShape)
	}
	return streamedPage{total: total, perPage: perPage, items: n}, nil
}

// skipNested consumes the rest of an object or array whose opening delimiter
// was just read.
func skipNested(dec *json.Decoder) error {
	for depth := 1; depth > 0; {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// collectPage is streamPage over a body in memory, keeping the raw items.
func collectPage(op string, body []byte, env envelope) (page, error) {
	var items []json.RawMessage
	pg, err := streamPage(op, bytes.NewReader(body), env,
		func(raw json.RawMessage) { items = append(items, bytes.Clone(raw)) },
		func() { items = nil })
	if err != nil {
		return page{}, err
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	return page{items: items, total: pg.total, perPage: pg.perPage}, nil
}
