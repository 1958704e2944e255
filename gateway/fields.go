package gateway

import (
	"regexp"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// A fieldReader reads the JSON fields at several gjson paths of a body in
// one pass where it can. gjson.Get scans the body from its start for each
// path: with an event's ID, type, ordering key and version read from a
// 1.5 KB body whose fields come after a long string, those scans were the
// largest part of identifying it. Paths of plain object keys joined by
// dots ("type", "data.object.id") are found together in one walk of the
// body, each with gjson.Get's answer (the first occurrence of a path's
// last key wins, and the rest of a path is looked for in each occurrence
// of a key in turn until one has it). Any other path (array indexes, wildcards, queries,
// modifiers, escaped characters) is read with gjson.Get on its own.
type fieldReader struct {
	paths []string  // by slot
	plain fieldNode // the plain paths, as a tree of their keys
	other []int     // slots of the other paths
}

// fieldNode is a key of a plain path: the slot of the path that ends with
// it, and the keys that follow it in other paths.
type fieldNode struct {
	key   string
	slot  int // -1: no path ends here
	kids  []*fieldNode
	below []int // slots of the paths through n's kids
}

// plainPath matches the paths that fieldReader walks: object keys of
// letters, digits, '_' and '-', not all digits (gjson reads "items.0" as
// an array index), joined by dots.
var plainPath = regexp.MustCompile(`^[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]*[A-Za-z_-][A-Za-z0-9_-]*)*$`)

// add adds path and returns its slot. A path added twice has one slot.
func (f *fieldReader) add(path string) int {
	for i, p := range f.paths {
		if p == path {
			return i
		}
	}
	slot := len(f.paths)
	f.paths = append(f.paths, path)
	if plainPath.MatchString(path) {
		f.plain.insert(path, slot)
	} else {
		f.other = append(f.other, slot)
	}
	return slot
}

// insert adds the plain path's keys under n.
func (n *fieldNode) insert(path string, slot int) {
	n.below = append(n.below, slot)
	key, rest, more := cut(path)
	var next *fieldNode
	for _, k := range n.kids {
		if k.key == key {
			next = k
		}
	}
	if next == nil {
		next = &fieldNode{key: key, slot: -1}
		n.kids = append(n.kids, next)
	}
	if more {
		next.insert(rest, slot)
	} else {
		next.slot = slot
	}
}

// cut splits a path at its first dot.
func cut(path string) (key, rest string, more bool) {
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			return path[:i], path[i+1:], true
		}
	}
	return path, "", false
}

// read returns the fields of doc, valid JSON, by slot, in out's memory; an
// absent field is the zero Result. The fields hold no reference to doc
// (request bodies are pooled buffers).
func (f *fieldReader) read(doc []byte, out []gjson.Result) []gjson.Result {
	out = append(out[:0], make([]gjson.Result, len(f.paths))...)
	if len(f.plain.kids) > 0 && len(doc) > 0 {
		// A view of doc, not a copy of it (as gjson.GetBytes reads it);
		// what was found is copied out below.
		f.plain.walk(gjson.Parse(unsafe.String(&doc[0], len(doc))), out)
		for i := range out {
			out[i] = detach(out[i])
		}
	}
	for _, slot := range f.other {
		out[slot] = gjson.GetBytes(doc, f.paths[slot])
	}
	return out
}

// detach returns r with copies of the strings it shares with the document.
// Str is a part of Raw unless the string had escapes (then gjson built it).
func detach(r gjson.Result) gjson.Result {
	if r.Raw == "" {
		return r
	}
	raw := strings.Clone(r.Raw)
	if r.Type == gjson.String && len(raw) >= 2 && r.Str == r.Raw[1:len(r.Raw)-1] {
		r.Str = raw[1 : len(raw)-1]
	} else if r.Str != "" {
		r.Str = strings.Clone(r.Str)
	}
	r.Raw = raw
	return r
}

// walk records in out the values of v's keys that n's kids name, and
// walks on into them. As gjson.Get does, it takes the first occurrence of
// the last key of a path, and looks for the rest of a path in each
// occurrence of a key in turn until one has it. It ends once every path
// below n was found.
func (n *fieldNode) walk(v gjson.Result, out []gjson.Result) {
	if !v.IsObject() {
		return
	}
	v.ForEach(func(key, val gjson.Result) bool {
		for _, k := range n.kids {
			if k.key != key.Str {
				continue
			}
			if k.slot >= 0 && out[k.slot].Raw == "" {
				out[k.slot] = val
			}
			if len(k.kids) > 0 {
				k.walk(val, out)
			}
			break
		}
		return !n.found(out)
	})
}

// found reports whether every path below n was found.
func (n *fieldNode) found(out []gjson.Result) bool {
	for _, slot := range n.below {
		if out[slot].Raw == "" {
			return false
		}
	}
	return true
}
