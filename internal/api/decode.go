package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"trinetsync/internal/provision"
)

// DefaultMaxBodyBytes bounds request bodies; the largest legitimate body (a
// settings document with every target mapped and value maps) is far smaller.
const DefaultMaxBodyBytes = 64 << 10

// ValidTenantID reports whether id is a well-formed tenant id.
func ValidTenantID(id string) bool { return provision.TenantIDPattern.MatchString(id) }

// decodeBody reads the whole (size-limited) body and decodes it strictly into
// dst: unknown fields, wrong types, malformed JSON and trailing data are 400
// naming the field where one is known. An empty body is allowed only when
// optional is true, and then leaves dst untouched.
func decodeBody(r *http.Request, dst any, optional bool) *apiError {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apiError{Status: http.StatusRequestEntityTooLarge, Code: CodePayloadTooLarge,
				Message: fmt.Sprintf("the request body is larger than %d bytes", tooBig.Limit)}
		}
		return badRequest("", "the request body could not be read")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if optional {
			return nil
		}
		return badRequest("", "a JSON request body is required")
	}
	// encoding/json lets the last of two equal keys win and matches field
	// names in any case; a body that says a thing twice, or in another
	// spelling, is refused before it is decoded.
	if e := checkKeys(data, reflect.TypeOf(dst)); e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("", "unexpected data after the JSON body")
	}
	return nil
}

func jsonError(err error) *apiError {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badRequest("", "malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("", "malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("", "the body must be a JSON %s", jsonKind(typ.Type))
		}
		return badRequest(field, "must be %s", withArticle(jsonKind(typ.Type)))
	}
	// encoding/json reports unknown fields only in its message.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unq, err := strconv.Unquote(name); err == nil {
			name = unq
		}
		return badRequest(name, "unknown field %q", name)
	}
	return badRequest("", "malformed JSON")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	}
	return "object"
}

func withArticle(kind string) string {
	if strings.IndexByte("aeiou", kind[0]) >= 0 {
		return "an " + kind
	}
	return "a " + kind
}

// requiredString checks a required string field: present, not blank, at most
// max bytes. The value itself never appears in the message (it may be a secret).
func requiredString(field string, v *string, max int) (string, *apiError) {
	if v == nil {
		return "", badRequest(field, "is required")
	}
	if strings.TrimSpace(*v) == "" {
		return "", badRequest(field, "must not be blank")
	}
	if len(*v) > max {
		return "", badRequest(field, "must be at most %d bytes", max)
	}
	return *v, nil
}

// pageParams reads limit and nextToken.
func pageParams(r *http.Request) (Page, *apiError) {
	q := r.URL.Query()
	p := Page{Limit: DefaultLimit, NextToken: q.Get("nextToken")}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return Page{}, badRequest("limit", "must be an integer from 1 to %d", MaxLimit)
		}
		p.Limit = n
	}
	if len(p.NextToken) > 2048 {
		return Page{}, badRequest("nextToken", "is not a token this service gave out")
	}
	return p, nil
}

// checkID validates an opaque id from a path or query: the store puts it in a
// key, so it must be short printable text.
func checkID(field, v string) *apiError {
	if v == "" || len(v) > 256 || !utf8.ValidString(v) || strings.IndexFunc(v, unicode.IsControl) >= 0 {
		return badRequest(field, "must be 1 to 256 printable characters")
	}
	return nil
}

// checkKeys walks the JSON value in data beside the Go type t it will be
// decoded into: every object's keys must be distinct, and a struct's keys
// must be its fields' JSON names exactly (case included). Malformed JSON is
// left to the decoder, which reports it with its position.
func checkKeys(data []byte, t reflect.Type) *apiError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	e, _ := walkValue(dec, t, "")
	return e
}

// walkValue reads one value. ok is false once the JSON is malformed: the
// walk stops and the decoder speaks.
func walkValue(dec *json.Decoder, t reflect.Type, path string) (_ *apiError, ok bool) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t, path)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if e, ok := walkValue(dec, elem, path+"["+strconv.Itoa(i)+"]"); e != nil || !ok {
				return e, ok
			}
		}
		_, err := dec.Token() // ]
		return nil, err == nil
	}
	return nil, true
}

func walkObject(dec *json.Decoder, t reflect.Type, path string) (*apiError, bool) {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key, _ := tok.(string)
		at := key
		if path != "" {
			at = path + "." + key
		}
		if seen[key] {
			return badRequest(at, "is given twice"), true
		}
		seen[key] = true
		next := elem
		if fields != nil {
			ft, known := fields[key]
			if !known {
				// Named by its JSON path, as wrong types and duplicates are (the
				// decoder's own message names the key alone, so "every" inside
				// schedule could not be told from a top-level field); a key that
				// differs from a field only in case is just as unknown here.
				for name := range fields {
					if strings.EqualFold(name, key) {
						return badRequest(at, "unknown field %q (field names are case-sensitive: %q)", at, name), true
					}
				}
				return badRequest(at, "unknown field %q", at), true
			}
			next = ft
		}
		if e, ok := walkValue(dec, next, at); e != nil || !ok {
			return e, ok
		}
	}
	_, err := dec.Token() // }
	return nil, err == nil
}

// jsonFields are the JSON names of a struct's exported fields and their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
