// Package jsonscan walks JSON that has already been validated, finding the
// boundaries of values, members and elements without decoding them, for the
// clients' fast decoders: where encoding/json's reflection (and its second
// scan of every value it decodes) is most of a sync's CPU.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// ErrShape is JSON not of the shape asked for (not an object, not a list).
var ErrShape = errors.New("not the documented shape")

// Unquote reads a JSON string literal as encoding/json does; most have no
// escapes and are copied as they are.
func Unquote(q []byte) (string, error) {
	if len(q) >= 2 && q[0] == '"' && q[len(q)-1] == '"' {
		if in := q[1 : len(q)-1]; bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
			return string(in), nil
		}
	}
	var s string
	err := json.Unmarshal(q, &s)
	return s, err
}

// SkipSpace is the index of the first byte from i that is not JSON white
// space.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// StringEnd is the index just past the string literal starting at b[i].
func StringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// ValueEnd is the index just past the value starting at b[i].
func ValueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return StringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = StringEnd(b, i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	case ',', ':', '}', ']':
		return -1
	}
	j := i
	for j < len(b) {
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// SplitArray gives the elements of a JSON array as sub-slices of b (capped,
// so that an append to one cannot write into the next).
func SplitArray(b []byte) ([]json.RawMessage, bool) {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	items := []json.RawMessage{}
	if i = SkipSpace(b, i+1); i < len(b) && b[i] == ']' {
		return items, SkipSpace(b, i+1) == len(b)
	}
	for {
		end := ValueEnd(b, i)
		if end < 0 {
			return nil, false
		}
		items = append(items, json.RawMessage(b[i:end:end]))
		if i = SkipSpace(b, end); i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case ']':
			return items, SkipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// EachMember calls fn with each key (a string literal, quotes included) and
// value of the JSON object b, in order, and stops at fn's first error.
func EachMember(b []byte, fn func(key, val []byte) error) error {
	i := SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ErrShape
	}
	if i = SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return ErrShape
		}
		kEnd := StringEnd(b, i)
		if kEnd < 0 {
			return ErrShape
		}
		key := b[i:kEnd]
		if i = SkipSpace(b, kEnd); i >= len(b) || b[i] != ':' {
			return ErrShape
		}
		i = SkipSpace(b, i+1)
		vEnd := ValueEnd(b, i)
		if vEnd < 0 {
			return ErrShape
		}
		if err := fn(key, b[i:vEnd]); err != nil {
			return err
		}
		if i = SkipSpace(b, vEnd); i >= len(b) {
			return ErrShape
		}
		switch b[i] {
		case ',':
			i = SkipSpace(b, i+1)
		case '}':
			return nil
		default:
			return ErrShape
		}
	}
}

// Fields are the JSON keys of a struct's fields, numbered by their order.
type Fields [][]byte

// FieldNames is the Fields of names, in that order.
func FieldNames(names ...string) Fields {
	out := make(Fields, len(names))
	for i, n := range names {
		out[i] = []byte(n)
	}
	return out
}

// Members hands set each member of the object b whose key names one of the
// fields, as encoding/json matches a key to a field (exactly, else
// case-insensitively by bytes.EqualFold, after unescaping), with the field's
// index; the other members are skipped. It stops at set's first error, and
// answers ErrShape when b is not an object or a key cannot be unescaped.
func (f Fields) Members(b []byte, set func(field int, val []byte) error) error {
	return EachMember(b, func(q, val []byte) error {
		key := q[1 : len(q)-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			s, err := Unquote(q)
			if err != nil {
				return ErrShape
			}
			key = []byte(s)
		}
		for i, name := range f {
			if bytes.Equal(key, name) {
				return set(i, val)
			}
		}
		for i, name := range f {
			if bytes.EqualFold(key, name) {
				return set(i, val)
			}
		}
		return nil
	})
}
