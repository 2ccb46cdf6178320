package leapsome

import (
	"bytes"
	"io"

	"trinetsync/internal/jsonscan"
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

// errItemSyntax is an item that is not valid JSON; like encoding/json's
// errors it quotes nothing of the body.
var errItemSyntax = jsonscan.ErrSyntax

// itemReader reads the items of one JSON array from r, the array's '['
// already read. Its buffer is reused: an item's bytes are valid until the
// next call.
type itemReader struct {
	r        io.Reader
	buf      []byte
	pos, end int // unread bytes: buf[pos:end]
	eof      bool
	scan     jsonscan.Scanner
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
		n, err := ir.scan.Value(ir.buf[:ir.end], start)
		for err == jsonscan.ErrShort {
			var shift int
			if shift, err = ir.fill(start, 2*(ir.end-start)+512); err != nil {
				return err
			}
			start -= shift
			n, err = ir.scan.Value(ir.buf[:ir.end], start)
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
