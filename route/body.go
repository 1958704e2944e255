package route

import (
	"encoding/json"
	"math"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/internal/jsondepth"
)

// bodyUse is what the expressions of a table read of the body: the field
// paths of their body.a.b selections, or everything (whole) when one uses
// the body otherwise (body["a"], size(body.items), body itself).
type bodyUse struct {
	read  bool
	whole bool
	paths []fieldPath
}

// fieldPath is one body.a.b selection: its keys.
type fieldPath struct {
	keys []string
}

// addUses records what a checked expression reads of the body.
func (u *bodyUse) addUses(a *cel.Ast) {
	root := ast.NavigateAST(a.NativeRep())
	for _, id := range ast.MatchDescendants(root, ast.KindMatcher(ast.IdentKind)) {
		if id.AsIdent() != "body" {
			continue
		}
		u.read = true
		var path []string
		cur := id
		for {
			p, ok := cur.Parent()
			if !ok || p.Kind() != ast.SelectKind || p.AsSelect().Operand().ID() != cur.ID() {
				break
			}
			path = append(path, p.AsSelect().FieldName())
			cur = p
		}
		if len(path) == 0 {
			u.whole = true
			continue
		}
		u.paths = append(u.paths, fieldPath{keys: path})
	}
	// Shorter paths first: a value read whole (size(body.data)) is set
	// before the deeper fields read inside it, which it holds already.
	slices.SortStableFunc(u.paths, func(a, b fieldPath) int { return len(a.keys) - len(b.keys) })
}

// value returns the body as an expression sees it: the fields it reads,
// looked up in the raw JSON, or the whole document decoded. The lookup
// gives what decoding gives (a string's invalid UTF-8 as U+FFFD, as
// jsonValue does): a document that is not a JSON object, a key
// that repeats on a path (encoding/json keeps the last), or a number out
// of float64's range (an error) sends it to decoding.
func (u *bodyUse) value(body []byte) (any, error) {
	// A body nested deeper than jsondepth.Max goes to decoding, which
	// refuses it without recursing: gjson recurses per level.
	if u.whole || !jsondepth.Within(body, jsondepth.Max) || !gjson.ValidBytes(body) || firstByte(body) != '{' {
		return decode(body)
	}
	// The request's body outlives the evaluation, and nothing keeps the
	// strings below past it.
	doc := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	root := map[string]any{}
	for _, p := range u.paths {
		r, found, exact := lookup(doc, p.keys)
		if !exact {
			return decode(body)
		}
		if found {
			insert(root, p.keys, r)
		}
	}
	return root, nil
}

// decode decodes the whole body.
func decode(body []byte) (any, error) {
	var v any
	err := json.Unmarshal(body, &v)
	return v, err
}

// lookup finds the value at keys in doc. exact is false when a key
// repeats in an object on the way, or the value is a number that float64
// cannot hold: cases in which only decoding says what the value is.
func lookup(doc gjson.Result, keys []string) (r gjson.Result, found, exact bool) {
	cur := doc
	for _, k := range keys {
		if !cur.IsObject() {
			return gjson.Result{}, false, true
		}
		n := 0
		cur.ForEach(func(key, val gjson.Result) bool {
			if key.Str == k {
				r, n = val, n+1
			}
			return true
		})
		switch {
		case n > 1:
			return gjson.Result{}, false, false
		case n == 0:
			return gjson.Result{}, false, true
		}
		cur = r
	}
	if r.Type == gjson.Number && (math.IsInf(r.Num, 0) || math.IsNaN(r.Num)) {
		return gjson.Result{}, false, false
	}
	return r, true, true
}

// insert sets the value r at path in m, making the objects on the way;
// a path inside a value already set whole is there already.
func insert(m map[string]any, path []string, r gjson.Result) {
	for i, k := range path {
		if i == len(path)-1 {
			if _, ok := m[k]; !ok {
				m[k] = jsonValue(r)
			}
			return
		}
		next, ok := m[k].(map[string]any)
		if !ok {
			if _, set := m[k]; set {
				return // an ancestor was set whole
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
}

// jsonValue is r as encoding/json decodes it into an any.
func jsonValue(r gjson.Result) any {
	switch r.Type {
	case gjson.String:
		return validUTF8(r.Str)
	case gjson.Number:
		return r.Num
	case gjson.True:
		return true
	case gjson.False:
		return false
	case gjson.Null:
		return nil
	}
	var v any
	_ = json.Unmarshal([]byte(r.Raw), &v) // an object or an array, valid
	return v
}

// validUTF8 is s as encoding/json decodes a JSON string: each byte that
// is not part of valid UTF-8 replaced by U+FFFD (a string's conversion to
// runes does the same), where the lookup leaves the raw bytes.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// firstByte is the first byte of b that is not JSON white space.
func firstByte(b []byte) byte {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
		default:
			return c
		}
	}
	return 0
}
