package gateway

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tidwall/gjson"
)

// fieldPaths are read together by the fieldReader tests: plain paths that
// share prefixes, one that is a prefix of others, and paths gjson reads on
// their own (an array index, a wildcard, a query, an escaped dot).
var fieldPaths = []string{
	"type", "data.id", "data.object.id", "data.object.version", "data", "b-c.d_e",
	"items.0.id", "dat*.id", "items.#(id==2).v", `a\.b`, "data.object.id",
}

// FuzzFieldReader checks that one walk of a body reads every field as
// gjson.GetBytes reads it alone.
func FuzzFieldReader(f *testing.F) {
	for _, doc := range []string{
		`{"type":"a","data":{"id":1,"object":{"id":"x","version":3}}}`,
		`{"data":{"object":{"id":"first"}},"data":{"object":{"id":"second"}}}`,
		`{"data":"not an object","data":{"id":"later"}}`,
		`{"data":{"object":"s","object":{"id":"later"}},"type":true}`,
		`{"typ\u0065":"escaped key","type":"plain"}`,
		`{"pad":"` + strings.Repeat("x", 1400) + `","type":"t","data":{"object":{"version":"2024-01-01T00:00:00Z","id":"o"}}}`,
		`{"items":[{"id":1,"v":"a"},{"id":2,"v":"b"}],"a.b":"dotted","b-c":{"d_e":null}}`,
		`[{"type":"in an array"}]`, `"a string"`, `12`, `null`, `{}`,
		`{"data":{"id":{"deep":1}},"type":["a"],"data":{"id":2}}`,
		` { "type" : "spaced" , "data" : { "id" : -1.5e3 } } `,
		`{"type":"a\"b\\c\u00e9","data":{"object":{"id":"\ud83d\ude00"}}}`,
	} {
		f.Add(doc)
	}
	var r fieldReader
	for _, p := range fieldPaths {
		r.add(p)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		if !gjson.Valid(doc) {
			return // identify reads fields of valid JSON only
		}
		got := r.read([]byte(doc), nil)
		for slot, p := range r.paths {
			want := gjson.Get(doc, p)
			if got[slot].Type != want.Type || got[slot].Raw != want.Raw || got[slot].Str != want.Str {
				t.Errorf("%s in %s: walked %v %q, gjson.Get %v %q", p, doc, got[slot].Type, got[slot].Raw, want.Type, want.Raw)
			}
		}
	})
}

// TestFieldReaderRandomDocuments compares the walk with gjson.Get over
// generated documents with repeated keys, nesting and every JSON type.
func TestFieldReaderRandomDocuments(t *testing.T) {
	var r fieldReader
	for _, p := range fieldPaths {
		r.add(p)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"type", "data", "id", "object", "version", "items", "b-c", "d_e", "x", `typ\u0065`}
	var gen func(depth int) string
	gen = func(depth int) string {
		switch n := rng.IntN(9); {
		case n < 3 && depth < 4:
			var b strings.Builder
			b.WriteByte('{')
			for i := range rng.IntN(5) {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, "%q:%s", keys[rng.IntN(len(keys))], gen(depth+1))
			}
			b.WriteByte('}')
			return strings.ReplaceAll(b.String(), `\\u0065`, `\u0065`)
		case n == 3 && depth < 4:
			return "[" + gen(depth+1) + "," + gen(depth+1) + "]"
		case n == 4:
			return fmt.Sprint(rng.IntN(1000) - 500)
		case n == 5:
			return []string{"true", "false", "null"}[rng.IntN(3)]
		default:
			return fmt.Sprintf("%q", strings.Repeat("v", rng.IntN(5)))
		}
	}
	found := 0
	for range 20000 {
		doc := gen(0)
		if !gjson.Valid(doc) {
			t.Fatalf("generated invalid JSON: %s", doc)
		}
		got := r.read([]byte(doc), nil)
		for slot, p := range r.paths {
			want := gjson.Get(doc, p)
			if got[slot].Type != want.Type || got[slot].Raw != want.Raw {
				t.Fatalf("%s in %s: walked %v %q, gjson.Get %v %q", p, doc, got[slot].Type, got[slot].Raw, want.Type, want.Raw)
			}
			if want.Exists() {
				found++
			}
		}
	}
	if found < 2000 {
		t.Fatalf("only %d fields found in the generated documents: the test compares too little", found)
	}
}

// TestFieldReaderSlots checks that a path added twice shares its slot and
// that only plain paths are walked.
func TestFieldReaderSlots(t *testing.T) {
	var r fieldReader
	a, b, c := r.add("data.id"), r.add("items.0.id"), r.add("data.id")
	if a != c || a == b {
		t.Fatalf("slots %d, %d, %d: want the first and third equal, the second apart", a, b, c)
	}
	if len(r.other) != 1 || r.other[0] != b {
		t.Fatalf("paths read on their own: slots %v, want [%d]", r.other, b)
	}
}

// BenchmarkFieldReader reads an event's type, ordering key and version
// from a 1.5 KB body whose fields follow a long string (as hookgate bench
// sends them): one walk against a gjson.GetBytes per field.
func BenchmarkFieldReader(b *testing.B) {
	doc := []byte(`{"hookgate_test":true,"pad":"` + strings.Repeat("x", 1340) +
		`","type":"bench.event","data":{"object":{"id":"ent_1","version":12}}}`)
	paths := []string{"type", "data.object.id", "data.object.version"}
	var r fieldReader
	for _, p := range paths {
		r.add(p)
	}
	b.Run("walk", func(b *testing.B) {
		b.ReportAllocs()
		var buf [8]gjson.Result
		for b.Loop() {
			if out := r.read(doc, buf[:0]); out[2].Int() != 12 {
				b.Fatalf("version %v", out[2])
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v gjson.Result
			for _, p := range paths {
				v = gjson.GetBytes(doc, p)
			}
			if v.Int() != 12 {
				b.Fatalf("version %v", v)
			}
		}
	})
}
