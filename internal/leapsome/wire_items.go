package leapsome

import (
	"bytes"
	"errors"
	"io"
)

// The items of a page's list are most of its bytes (a SCIM page of 5,000
// users is megabytes), and json.Decoder reads each one twice when handed a
// json.RawMessage: once to find where it ends, validating it, and once more
// to copy it. itemReader reads them once: it finds each item's end and
// validates it in the same pass, by the grammar encoding/json's scanner
// enforces (RFC 8259: no control characters in strings, the escapes JSON
// has, numbers without leading zeros, literals spelt out, at most
// maxNestingDepth levels counted from the item), and hands out the item's
// bytes without copying them. Everything else of a page is read by
// json.Decoder as before.

// maxNestingDepth is encoding/json's limit, which json.Decoder applies to
// each value it reads.
const maxNestingDepth = 10000

// errItemSyntax is an item that is not valid JSON; like encoding/json's
// errors it quotes nothing of the body.
var errItemSyntax = errors.New("invalid JSON in a list item")

// itemReader reads the items of one JSON array from r, the array's '['
// already read. Its buffer is reused: an item's bytes are valid until the
// next call.
type itemReader struct {
	r        io.Reader
	buf      []byte
	pos, end int // unread bytes: buf[pos:end]
	eof      bool
	stack    []byte // open '{' and '[' of the item being read
}

func newItemReader(r io.Reader) *itemReader {
	return &itemReader{r: r, buf: make([]byte, 32<<10)}
}

// fill moves buf[keep:end] to the front and reads until the buffer holds
// at least want bytes from there (growing it as needed), or the body ends;
// it answers how far the kept bytes moved back. Asking each time for twice
// what an unfinished item already holds keeps the work on an item that
// arrives in small pieces linear.
func (ir *itemReader) fill(keep, want int) (int, error) {
	if keep > 0 {
		copy(ir.buf, ir.buf[keep:ir.end])
		ir.end -= keep
		ir.pos -= keep
	}
	if want > len(ir.buf) {
		ir.buf = append(ir.buf[:ir.end], make([]byte, want-ir.end)...)
		ir.buf = ir.buf[:cap(ir.buf)]
	}
	got := false
	for ir.end < want && !ir.eof {
		n, err := ir.r.Read(ir.buf[ir.end:])
		ir.end += n
		got = got || n > 0
		switch {
		case err == io.EOF:
			ir.eof = true
		case err != nil:
			return keep, err
		}
	}
	if !got && ir.eof {
		return keep, io.ErrUnexpectedEOF
	}
	return keep, nil
}

// nextByte moves pos past white space, reading more as needed, and
// answers the byte there.
func (ir *itemReader) nextByte() (byte, error) {
	for {
		for ir.pos < ir.end {
			switch c := ir.buf[ir.pos]; c {
			case ' ', '\t', '\n', '\r':
				ir.pos++
			default:
				return c, nil
			}
		}
		if _, err := ir.fill(ir.pos, 1); err != nil {
			return 0, err
		}
	}
}

// each hands every item of the array to fn in order and consumes the
// closing ']'. A syntax error is errItemSyntax; a body that ends early is
// io.ErrUnexpectedEOF; a failure to read is returned as it is.
func (ir *itemReader) each(fn func(item []byte)) error {
	c, err := ir.nextByte()
	if err != nil {
		return err
	}
	if c == ']' {
		ir.pos++
		return nil
	}
	for {
		start := ir.pos
		n, err := ir.value(start)
		for err == errShort {
			var shift int
			if shift, err = ir.fill(start, 2*(ir.end-start)+512); err != nil {
				return err
			}
			start -= shift
			n, err = ir.value(start)
		}
		if err != nil {
			return err
		}
		ir.pos = start + n
		fn(ir.buf[start : start+n : start+n])
		if c, err = ir.nextByte(); err != nil {
			return err
		}
		ir.pos++
		switch c {
		case ']':
			return nil
		case ',':
			if _, err := ir.nextByte(); err != nil {
				return err
			}
		default:
			return errItemSyntax
		}
	}
}

// rest is what the reader holds beyond the array, then the rest of r.
func (ir *itemReader) rest() io.Reader {
	return io.MultiReader(bytes.NewReader(ir.buf[ir.pos:ir.end]), ir.r)
}

// errShort: the buffer ends inside the value; read more and start again.
var errShort = errors.New("value runs past the buffer")

// value validates the value at buf[i:end] and answers its length. It starts
// again from the value's beginning when the buffer ends inside it (errShort),
// which a buffer many items long makes rare.
func (ir *itemReader) value(i int) (int, error) {
	b := ir.buf[:ir.end]
	start := i
	ir.stack = ir.stack[:0]
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
			return 0, errShort
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
				if ir.stack = ir.stack[:len(ir.stack)-1]; len(ir.stack) == 0 {
					return i - start, nil
				}
				expect = commaOrClose
				continue
			}
			if c != '"' {
				return 0, errItemSyntax
			}
			j, err := stringEndValid(b, i)
			if err != nil {
				return 0, err
			}
			i, expect = j, colon
			continue
		case colon:
			if c != ':' {
				return 0, errItemSyntax
			}
			i, expect = i+1, value
			continue
		case commaOrClose:
			top := ir.stack[len(ir.stack)-1]
			switch {
			case c == ',' && top == '{':
				i, expect = i+1, key
			case c == ',':
				i, expect = i+1, value
			case c == '}' && top == '{', c == ']' && top == '[':
				i++
				if ir.stack = ir.stack[:len(ir.stack)-1]; len(ir.stack) == 0 {
					return i - start, nil
				}
			default:
				return 0, errItemSyntax
			}
			continue
		case valueOrClose:
			if c == ']' {
				i++
				if ir.stack = ir.stack[:len(ir.stack)-1]; len(ir.stack) == 0 {
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
			if len(ir.stack) >= maxNestingDepth {
				return 0, errItemSyntax
			}
			ir.stack = append(ir.stack, c)
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
			return 0, errItemSyntax
		}
		if err != nil {
			return 0, err
		}
		if i = j; len(ir.stack) == 0 {
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
			return 0, errItemSyntax
		case c == '\\':
			if i+1 >= len(b) {
				return 0, errShort
			}
			i++
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return 0, errShort
				}
				for _, h := range b[i+1 : i+5] {
					if !isHex(h) {
						return 0, errItemSyntax
					}
				}
				i += 4
			default:
				return 0, errItemSyntax
			}
		}
	}
	return 0, errShort
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// numberEnd is the index just past the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, followed by a byte that
// cannot continue it. The buffer ending right after it is errShort: the
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
		return 0, errShort
	}
	switch {
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i, _ = digits(i)
	default:
		return 0, errItemSyntax
	}
	if i < len(b) && b[i] == '.' {
		var ok bool
		if i, ok = digits(i + 1); !ok {
			if i >= len(b) {
				return 0, errShort
			}
			return 0, errItemSyntax
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
				return 0, errShort
			}
			return 0, errItemSyntax
		}
	}
	if i >= len(b) {
		return 0, errShort
	}
	return i, nil
}

func literalEnd(b []byte, i int, lit string) (int, error) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(b) {
			return 0, errShort
		}
		if b[i+k] != lit[k] {
			return 0, errItemSyntax
		}
	}
	return i + len(lit), nil
}
