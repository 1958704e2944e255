// Package jsondepth bounds how deeply a request body nests JSON arrays and
// objects before a recursive reader sees it. gjson's validator (and its
// readers) recurse once per level with no limit of their own: a body of
// 1 MiB of '[' cost a second of CPU and 128 MiB of goroutine stack, and
// 8 MiB overflowed the stack, which no recover catches. The gateway and
// the route conditions take a body nested deeper than Max as not JSON, as
// encoding/json (json.Valid, json.Unmarshal) does at the same depth.
package jsondepth

import "bytes"

// Max is the deepest nesting read as JSON: encoding/json's own limit, so
// that every reader of a body agrees on whether it is JSON.
const Max = 10000

// Within reports whether b nests arrays and objects at most max levels
// deep. It does not validate b: it counts the brackets outside strings,
// which bound the recursion of any JSON reader over b, valid or not (one
// stops at the first byte that is not JSON). It reads b at most once, in
// one pass, and neither allocates nor recurses; a body of at most max
// bytes, or with at most max opening brackets in all, is not scanned
// further.
func Within(b []byte, max int) bool {
	if len(b) <= max || bytes.Count(b, open[:1])+bytes.Count(b, open[1:]) <= max {
		return true
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', '{':
			if depth++; depth > max {
				return false
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		case '"':
			// Past the string: its closing quote is the first one after
			// an even number of backslashes.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return true // the rest is in a string
				}
				i += 1 + j
				k := i - 1
				for k >= 0 && b[k] == '\\' {
					k--
				}
				if (i-1-k)%2 == 0 {
					break
				}
			}
		}
	}
	return true
}

var open = [2]byte{'[', '{'}
