package jsondepth

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
)

func TestWithin(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, c := range []struct {
		doc  string
		max  int
		want bool
	}{
		{``, 0, true},
		{`{}`, 1, true},
		{`{}`, 0, false},
		{`[[1],{"a":[2]}]`, 3, true},
		{`[[1],{"a":[[2]]}]`, 3, false},
		{`["[[[[", "{{{{"]`, 1, true},         // brackets in strings do not count
		{`["\"[[[[", "\\", [[1]]]`, 2, false}, // an escaped quote is inside, an escaped backslash ends it
		{`["\\\"[[[", 1]`, 1, true},           // three backslashes: the quote is escaped
		{`]]]]]]]][[[`, 2, false},             // closing brackets never make room below zero
		{`["[[[[[[[[[[[[`, 1, true},           // the rest is an unterminated string
		{deep(Max), Max, true},
		{deep(Max + 1), Max, false},
		{strings.Repeat("[", 1<<20), Max, false},
		{`{"k":"` + strings.Repeat("[", 2*Max) + `"}`, Max, true},
	} {
		if got := Within([]byte(c.doc), c.max); got != c.want {
			t.Errorf("Within(%.40q, %d) = %v; want %v", c.doc, c.max, got, c.want)
		}
	}
}

// TestWithinAgreesWithEncodingJSON: on documents that encoding/json
// reads, Within says what its depth limit says.
func TestWithinAgreesWithEncodingJSON(t *testing.T) {
	for _, n := range []int{Max - 1, Max, Max + 1} {
		for _, doc := range []string{
			strings.Repeat(`[`, n) + strings.Repeat(`]`, n),
			strings.Repeat(`{"a":`, n-1) + `{}` + strings.Repeat(`}`, n-1),
			`["x\"[",` + strings.Repeat(`[`, n-1) + strings.Repeat(`]`, n),
		} {
			want := json.Valid([]byte(doc))
			if got := Within([]byte(doc), Max); got != want {
				t.Errorf("depth %d, %.20q: Within = %v, json.Valid = %v", n, doc, got, want)
			}
		}
	}
}

func FuzzWithin(f *testing.F) {
	for _, s := range []string{`[]`, `{"a":[1,{"b":"]["}]}`, `["\\\"[", [[]]]`, `[[[`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return
		}
		d := depth(t, b)
		if !Within(b, d) || d > 0 && Within(b, d-1) {
			t.Errorf("%q: depth %d, Within disagrees", b, d)
		}
	})
}

// depth is the nesting of a valid document, read by encoding/json.
func depth(t *testing.T, b []byte) int {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	cur, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return deepest
		}
		if err != nil {
			t.Fatal(err)
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			cur++
			deepest = max(deepest, cur)
		case json.Delim(']'), json.Delim('}'):
			cur--
		}
	}
}

func BenchmarkWithin(b *testing.B) {
	doc := []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1","lines":[` +
		strings.Repeat(`{"amount":100,"text":"a \"quoted\" [line]"},`, 2000) + `{}]}}}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if !Within(doc, Max) {
			b.Fatal("too deep")
		}
	}
}
