package verify

import (
	"encoding/json"
	"fmt"
	"slices"
)

// jsonReader reads the few fields a scheme needs from a JSON body that
// carries its signature (Mailgun, Adyen notifications), validating as it
// goes but decoding nothing it skips: no allocation for skipped values,
// where encoding/json's Decoder costs tens of microseconds per kilobyte.
// Its errors are plain details for the caller to wrap.
type jsonReader struct {
	b     []byte
	i     int
	depth int
}

// jsonMaxDepth bounds nesting, as encoding/json does.
const jsonMaxDepth = 10000

func (r *jsonReader) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON at offset %d: %s", r.i, fmt.Sprintf(format, args...))
}

// peek skips white space and returns the next byte, or 0 at the end.
func (r *jsonReader) peek() byte {
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return c
		}
	}
	return 0
}

// object reads an object. For each member it calls member with the key;
// member reports whether it read the value, which object skips otherwise.
// A key that member read may not appear twice: JSON parsers disagree on
// which of two equal keys wins, and what the verifier checks must be what
// the gateway (gjson takes the first) and the consumers read.
func (r *jsonReader) object(member func(key []byte) (bool, error)) error {
	if c := r.peek(); c != '{' {
		return r.errorf("%s where an object was expected", jsonKind(c))
	}
	if r.depth++; r.depth > jsonMaxDepth {
		return r.errorf("nested too deeply")
	}
	r.i++
	var seen []string
	if r.peek() == '}' {
		r.i++
		r.depth--
		return nil
	}
	for {
		if r.peek() != '"' {
			return r.errorf("a key was expected")
		}
		key, err := r.str()
		if err != nil {
			return err
		}
		if r.peek() != ':' {
			return r.errorf(": was expected")
		}
		r.i++
		used, err := member(key)
		switch {
		case err != nil:
			return err
		case !used:
			if err := r.skip(); err != nil {
				return err
			}
		case slices.Contains(seen, string(key)):
			return fmt.Errorf("key %q appears twice", truncate(string(key)))
		default:
			seen = append(seen, string(key))
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			r.depth--
			return nil
		default:
			return r.errorf(", or } was expected")
		}
	}
}

// array reads an array, calling elem for each element, which elem must
// read.
func (r *jsonReader) array(elem func(i int) error) error {
	if c := r.peek(); c != '[' {
		return r.errorf("%s where an array was expected", jsonKind(c))
	}
	if r.depth++; r.depth > jsonMaxDepth {
		return r.errorf("nested too deeply")
	}
	r.i++
	if r.peek() == ']' {
		r.i++
		r.depth--
		return nil
	}
	for n := 0; ; n++ {
		if err := elem(n); err != nil {
			return err
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			r.depth--
			return nil
		default:
			return r.errorf(", or ] was expected")
		}
	}
}

// scalar reads a string, number or boolean as text: a string's content,
// the literal of the others, so a number keeps its digits. Null gives "".
func (r *jsonReader) scalar() (string, error) {
	switch c := r.peek(); {
	case c == '"':
		s, err := r.str()
		return string(s), err
	case c == '-' || '0' <= c && c <= '9':
		start := r.i
		err := r.number()
		return string(r.b[start:r.i]), err
	case c == 't':
		return "true", r.literal("true")
	case c == 'f':
		return "false", r.literal("false")
	case c == 'n':
		return "", r.literal("null")
	default:
		return "", r.errorf("%s where a string or number was expected", jsonKind(c))
	}
}

// skip reads and discards any value.
func (r *jsonReader) skip() error {
	switch c := r.peek(); c {
	case '{':
		return r.object(func([]byte) (bool, error) { return false, nil })
	case '[':
		return r.array(func(int) error { return r.skip() })
	default:
		_, err := r.scalar()
		return err
	}
}

// end reports an error when anything but white space is left.
func (r *jsonReader) end() error {
	if r.peek() != 0 || r.i < len(r.b) {
		return r.errorf("data after the JSON value")
	}
	return nil
}

// str reads a string and returns its content. Without escapes it is a
// slice of the input; with them, a decoded copy.
func (r *jsonReader) str() ([]byte, error) {
	start := r.i
	r.i++ // the opening quote
	escaped := false
	for r.i < len(r.b) {
		switch c := r.b[r.i]; {
		case c == '"':
			r.i++
			if !escaped {
				return r.b[start+1 : r.i-1], nil
			}
			var s string
			if err := json.Unmarshal(r.b[start:r.i], &s); err != nil {
				return nil, r.errorf("bad string: %v", err)
			}
			return []byte(s), nil
		case c == '\\':
			escaped = true
			if r.i+1 >= len(r.b) {
				return nil, r.errorf("unterminated string")
			}
			switch r.b[r.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				r.i += 2
			case 'u':
				if r.i+6 > len(r.b) || !isHex4(r.b[r.i+2:r.i+6]) {
					return nil, r.errorf("bad \\u escape")
				}
				r.i += 6
			default:
				return nil, r.errorf("bad escape")
			}
		case c < 0x20:
			return nil, r.errorf("control character in a string")
		default:
			r.i++
		}
	}
	return nil, r.errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) number() error {
	digits := func() int {
		n := 0
		for r.i < len(r.b) && '0' <= r.b[r.i] && r.b[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	if r.b[r.i] == '-' {
		r.i++
	}
	if r.i < len(r.b) && r.b[r.i] == '0' {
		r.i++
	} else if digits() == 0 {
		return r.errorf("bad number")
	}
	if r.i < len(r.b) && r.b[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return r.errorf("bad number")
		}
	}
	if r.i < len(r.b) && (r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		r.i++
		if r.i < len(r.b) && (r.b[r.i] == '+' || r.b[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return r.errorf("bad number")
		}
	}
	return nil
}

func (r *jsonReader) literal(word string) error {
	if len(r.b)-r.i < len(word) || string(r.b[r.i:r.i+len(word)]) != word {
		return r.errorf("bad literal")
	}
	r.i += len(word)
	return nil
}

// jsonKind names what starts with c in messages.
func jsonKind(c byte) string {
	switch {
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == '"':
		return "a string"
	case c == 0:
		return "the end"
	case c == 'n':
		return "null"
	}
	return "a literal"
}

// memberScalars reads the object member outer of doc's top-level object
// and sets each of its scalar members that fields names (Mailgun's
// "signature", Dropbox Sign's "event"); found reports whether doc has
// outer. A repeated key, in doc or in outer, is an error (see object).
// Its errors are plain details for the caller to wrap.
func memberScalars(doc []byte, outer string, fields map[string]*string) (found bool, err error) {
	r := jsonReader{b: doc}
	err = r.object(func(key []byte) (bool, error) {
		if string(key) != outer {
			return false, nil
		}
		found = true
		return true, r.object(func(key []byte) (bool, error) {
			dst, ok := fields[string(key)]
			if !ok {
				return false, nil
			}
			var err error
			*dst, err = r.scalar()
			return true, err
		})
	})
	if err == nil {
		err = r.end()
	}
	return found, err
}
