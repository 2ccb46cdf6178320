package trinet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// flexString takes a JSON string, number, boolean or null as a string, so that
// a value TriNet sends in another scalar form than the profile shows (such as
// standardHours: 40) does not fail a whole page. Objects and arrays are errors.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return errors.New("empty value")
	}
	switch b[0] {
	case '"':
		// Fast path: no escapes, the common case for TriNet's plain values.
		if bytes.IndexByte(b[1:len(b)-1], '\\') < 0 && bytes.IndexByte(b[1:len(b)-1], '"') < 0 {
			*s = flexString(b[1 : len(b)-1])
			return nil
		}
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	case 'n':
		*s = ""
	case 't', 'f':
		*s = flexString(b)
	case '{', '[':
		return errors.New("want a scalar, got an object or array")
	default:
		*s = flexString(b) // a number, kept as TriNet wrote it
	}
	return nil
}

func (s flexString) String() string { return string(s) }

// flexBool takes true/false, "true"/"false" or null (false).
type flexBool bool

func (v *flexBool) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	switch s {
	case "null", "":
		*v = false
		return nil
	}
	parsed, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want a boolean")
	}
	*v = flexBool(parsed)
	return nil
}

// decodeError describes a JSON decoding failure by position and field only:
// the json package's own messages may quote bytes of the body, which can be
// personal data.
func decodeError(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("field %s has the wrong type (%s)", typ.Field, typ.Value)
		}
		return fmt.Sprintf("wrong JSON type (%s) at byte %d", typ.Value, typ.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	default:
		return "malformed JSON"
	}
}
