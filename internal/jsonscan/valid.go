package jsonscan

import "errors"

// Validating. A Scanner checks a value by the grammar encoding/json's
// scanner enforces (RFC 8259: no control characters in strings, the escapes
// JSON has, numbers without leading zeros, literals spelt out, at most
// MaxNestingDepth levels counted from the value) in one pass over its bytes,
// several times faster than json.Valid, which calls a function per byte.

// MaxNestingDepth is encoding/json's limit on nesting.
const MaxNestingDepth = 10000

var (
	// ErrSyntax is JSON that is not valid; it quotes nothing of the input.
	ErrSyntax = errors.New("invalid JSON")
	// ErrShort is input that ends inside a value.
	ErrShort = errors.New("JSON value runs past the end of the input")
)

// Scanner validates values; its zero value is ready. It keeps the stack of
// open containers from one value to the next.
type Scanner struct {
	stack []byte
}

// Valid says whether b is one JSON value, with white space around it only.
func Valid(b []byte) bool {
	var sc Scanner
	i := SkipSpace(b, 0)
	n, err := sc.Value(b, i)
	if err == ErrShort && i < len(b) && (b[i] == '-' || (b[i] >= '0' && b[i] <= '9')) {
		// A number is known to end only at the byte after it.
		b = append(b[:len(b):len(b)], ' ')
		n, err = sc.Value(b, i)
	}
	return err == nil && SkipSpace(b, i+n) == len(b)
}

// Value validates the JSON value that starts at b[i] (white space before it
// allowed) and answers its length from i. ErrShort: b ends inside it.
func (sc *Scanner) Value(b []byte, i int) (int, error) {
	start := i
	sc.stack = sc.stack[:0]
	// What comes next: a value; a key or '}' (just after '{'); a key (after
	// a ','); a value or ']' (just after '['); ':' after a key; ',' or the
	// close of the container after a value.
	const (
		value = iota
		keyOrClose
		key
		valueOrClose
		colon
		commaOrClose
	)
	expect := value
	for {
		if i >= len(b) {
			return 0, ErrShort
		}
		c := b[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		switch expect {
		case keyOrClose, key:
			if c == '}' && expect == keyOrClose {
				i++
				if sc.stack = sc.stack[:len(sc.stack)-1]; len(sc.stack) == 0 {
					return i - start, nil
				}
				expect = commaOrClose
				continue
			}
			if c != '"' {
				return 0, ErrSyntax
			}
			j, err := stringEndValid(b, i)
			if err != nil {
				return 0, err
			}
			i, expect = j, colon
			continue
		case colon:
			if c != ':' {
				return 0, ErrSyntax
			}
			i, expect = i+1, value
			continue
		case commaOrClose:
			top := sc.stack[len(sc.stack)-1]
			switch {
			case c == ',' && top == '{':
				i, expect = i+1, key
			case c == ',':
				i, expect = i+1, value
			case c == '}' && top == '{', c == ']' && top == '[':
				i++
				if sc.stack = sc.stack[:len(sc.stack)-1]; len(sc.stack) == 0 {
					return i - start, nil
				}
			default:
				return 0, ErrSyntax
			}
			continue
		case valueOrClose:
			if c == ']' {
				i++
				if sc.stack = sc.stack[:len(sc.stack)-1]; len(sc.stack) == 0 {
					return i - start, nil
				}
				expect = commaOrClose
				continue
			}
		}
		// A value.
		var j int
		var err error
		switch c {
		case '{', '[':
			if len(sc.stack) >= MaxNestingDepth {
				return 0, ErrSyntax
			}
			sc.stack = append(sc.stack, c)
			i++
			if c == '{' {
				expect = keyOrClose
			} else {
				expect = valueOrClose
			}
			continue
		case '"':
			j, err = stringEndValid(b, i)
		case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			j, err = numberEnd(b, i)
		case 't':
			j, err = literalEnd(b, i, "true")
		case 'f':
			j, err = literalEnd(b, i, "false")
		case 'n':
			j, err = literalEnd(b, i, "null")
		default:
			return 0, ErrSyntax
		}
		if err != nil {
			return 0, err
		}
		if i = j; len(sc.stack) == 0 {
			return i - start, nil
		}
		expect = commaOrClose
	}
}

// stringEndValid is the index just past the string literal at b[i]: no
// control characters, escapes of JSON's set.
func stringEndValid(b []byte, i int) (int, error) {
	for i++; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			return i + 1, nil
		case c < 0x20:
			return 0, ErrSyntax
		case c == '\\':
			if i+1 >= len(b) {
				return 0, ErrShort
			}
			i++
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return 0, ErrShort
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return 0, ErrSyntax
					}
				}
				i += 4
			default:
				return 0, ErrSyntax
			}
		}
	}
	return 0, ErrShort
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// numberEnd is the index just past the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, followed by a byte that
// cannot continue it. The buffer ending right after it is ErrShort: the
// number may go on.
func numberEnd(b []byte, i int) (int, error) {
	digits := func(i int) (int, bool) {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		return j, j > i
	}
	if b[i] == '-' {
		i++
	}
	if i >= len(b) {
		return 0, ErrShort
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i, _ = digits(i)
	default:
		return 0, ErrSyntax
	}
	if i < len(b) && b[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			if i >= len(b) {
				return 0, ErrShort
			}
			return 0, ErrSyntax
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(i); !ok {
			if i >= len(b) {
				return 0, ErrShort
			}
			return 0, ErrSyntax
		}
	}
	if i >= len(b) {
		return 0, ErrShort
	}
	return i, nil
}

func literalEnd(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return 0, ErrShort
		}
		if b[i+k] != lit[k] {
			return 0, ErrSyntax
		}
	}
	return i + len(lit), nil
}
