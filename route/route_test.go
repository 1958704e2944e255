package route_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/route"
)

var invoice = []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1","amount_paid":250000,"customer":"cus_9"}}}`)

func TestEval(t *testing.T) {
	tbl, err := route.Compile([]route.Rule{
		{Name: "big-payments", Providers: []string{"stripe"}, When: `type == "invoice.paid" && body.data.object.amount_paid > 100000`},
		{Name: "all"},
		{Name: "beta", When: `"x-beta" in headers && headers["x-beta"] == "1"`},
		{Name: "no-pings", When: `type == "ping"`, Drop: true},
		{Name: "after-drop"},
		{Name: "versioned", When: `key == "in_1" && version >= 7`},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		in   route.Input
		want string // matching rule names, then "!" for a drop
		errs int
	}{
		{name: "big invoice", in: route.Input{Provider: "stripe", Type: "invoice.paid", Body: invoice}, want: "big-payments all after-drop"},
		{name: "other provider", in: route.Input{Provider: "shop", Type: "invoice.paid", Body: invoice}, want: "all after-drop"},
		{name: "small invoice", in: route.Input{Provider: "stripe", Type: "invoice.paid", Body: []byte(`{"data":{"object":{"amount_paid":5}}}`)}, want: "all after-drop"},
		{name: "header", in: route.Input{Provider: "x", Header: map[string][]string{"X-Beta": {"1"}}}, want: "all beta after-drop"},
		{name: "drop stops", in: route.Input{Provider: "x", Type: "ping"}, want: "all no-pings!"},
		{name: "ordering fields", in: route.Input{Provider: "x", Key: "in_1", Version: 9}, want: "all after-drop versioned"},
		// A missing field is an error of that rule alone: no match.
		{name: "missing field", in: route.Input{Provider: "stripe", Type: "invoice.paid", Body: []byte(`{}`)}, want: "all after-drop", errs: 1},
		{name: "body not JSON", in: route.Input{Provider: "stripe", Type: "invoice.paid", Body: []byte(`a=b`)}, want: "all after-drop", errs: 1},
		// The body is read only when the condition gets that far.
		{name: "body not read", in: route.Input{Provider: "stripe", Type: "charge", Body: []byte(`a=b`)}, want: "all after-drop"},
	} {
		matches, errs := tbl.Eval(&c.in)
		var got []string
		for _, m := range matches {
			if m.Drop {
				got = append(got, m.Name+"!")
			} else {
				got = append(got, m.Name)
			}
		}
		if strings.Join(got, " ") != c.want || len(errs) != c.errs {
			t.Errorf("%s: matches %v, errors %v; want %q and %d errors", c.name, got, errs, c.want, c.errs)
		}
	}
}

// TestBodyShapes: the body as conditions read it, whether they select
// fields (looked up in the raw JSON) or use it otherwise (parsed whole).
func TestBodyShapes(t *testing.T) {
	for _, c := range []struct {
		when string
		body string
		want bool // matched; false: no match (an error or false)
	}{
		{when: `body.data.object.customer == "cus_9"`, body: string(invoice), want: true},
		{when: `body["data"]["object"]["customer"] == "cus_9"`, body: string(invoice), want: true},
		{when: `body.data.object.customer == "cus_9" && size(body.data.object) == 3`, body: string(invoice), want: true},
		{when: `size(body.data.object) == 3 && body.data.object.id == "in_1"`, body: string(invoice), want: true},
		{when: `has(body.data.object.refunded)`, body: `{"data":{"object":{"refunded":false}}}`, want: true},
		{when: `has(body.data.object.refunded)`, body: string(invoice), want: false},
		{when: `body.data.object.amount_paid == 250000`, body: string(invoice), want: true},
		{when: `body.flags.exists(f, f == "b")`, body: `{"flags":["a","b"]}`, want: true},
		{when: `body.n == null`, body: `{"n":null}`, want: true},
		{when: `body.ok`, body: `{"ok":true}`, want: true},
		{when: `body.data.x == 1`, body: `[1,2]`, want: false},
		{when: `body.data.x == 1`, body: ` {"data":{"x":1}}`, want: true},
		// As encoding/json decodes them: the last of repeated keys, and no
		// number out of float64's range.
		{when: `body.type == "b"`, body: `{"type":"a","type":"b"}`, want: true},
		{when: `body.a.b == 2`, body: `{"a":{"b":1},"a":{"b":2}}`, want: true},
		{when: `body.n > 0`, body: `{"n":1e400}`, want: false},
		{when: `body["k.x"] == 1`, body: `{"k.x":1}`, want: true},
	} {
		tbl, err := route.Compile([]route.Rule{{Name: "r", When: c.when}})
		if err != nil {
			t.Fatalf("%s: %v", c.when, err)
		}
		m, _ := tbl.Eval(&route.Input{Body: []byte(c.body)})
		if got := len(m) == 1; got != c.want {
			t.Errorf("%s on %s: matched %v; want %v", c.when, c.body, got, c.want)
		}
	}
}

// TestBodyTooDeep: a body that nests arrays and objects deeper than
// encoding/json's 10,000 levels is not JSON to a condition, whether it
// reads fields or the whole body, and reading it never recurses per
// level: 1 MiB of '[' behind a key (gjson's validator took 128 MiB of
// stack for it) is refused within a 32 MiB stack limit.
func TestBodyTooDeep(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, c := range []struct {
		depth int
		want  bool // matched; false: an error, "not JSON"
	}{{10000, true}, {10001, false}} {
		body := `{"a":` + deep(c.depth-1) + `}`
		for _, when := range []string{`has(body.a)`, `size(body) == 1`} {
			tbl, err := route.Compile([]route.Rule{{Name: "r", When: when}})
			if err != nil {
				t.Fatal(err)
			}
			m, errs := tbl.Eval(&route.Input{Body: []byte(body)})
			if got := len(m) == 1; got != c.want || !c.want && (len(errs) != 1 || !strings.Contains(errs[0].Err.Error(), "not JSON")) {
				t.Errorf("%s on a body %d levels deep: matched %v, errors %v; want matched %v", when, c.depth, got, errs, c.want)
			}
		}
	}
	t.Run("1MiB", func(t *testing.T) {
		testkit.InChild(t, 32<<20, func(t *testing.T) {
			tbl, err := route.Compile([]route.Rule{{Name: "r", When: `has(body.a)`}})
			if err != nil {
				t.Fatal(err)
			}
			body := append([]byte(`{"a":`), bytes.Repeat([]byte("["), 1<<20)...)
			if m, errs := tbl.Eval(&route.Input{Body: body}); len(m) != 0 || len(errs) != 1 {
				t.Errorf("matched %v, errors %v; want no match and one error", m, errs)
			}
		})
	})
}

// TestEvalTimeout: a condition with comprehensions nested over a body's
// list (quadratic in the body: minutes for this one) is stopped at
// EvalTimeout: an error of its rule alone, wrapping ErrTimeout, and no
// match; the rules after it are evaluated, a linear one over the same
// list too.
func TestEvalTimeout(t *testing.T) {
	tbl, err := route.Compile([]route.Rule{
		{Name: "pairs", When: `body.items.exists(x, body.items.exists(y, y == x + 0.5))`},
		{Name: "zero", When: `body.items.exists(x, x == 0)`},
		{Name: "all"},
	})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"items":[` + strings.TrimSuffix(strings.Repeat("0,", 50_000), ",") + `]}`
	matches, errs := tbl.Eval(&route.Input{Body: []byte(body)})
	if len(matches) != 2 || matches[0].Name != "zero" || matches[1].Name != "all" {
		t.Errorf("matches %v; want zero and all", matches)
	}
	if len(errs) != 1 || errs[0].Rule != "pairs" || !errors.Is(errs[0].Err, route.ErrTimeout) {
		t.Errorf("errors %v; want pairs's, ErrTimeout", errs)
	}
}

// TestBodyInvalidUTF8: a string of the body that is not UTF-8 reads as
// decoding gives it (each invalid byte U+FFFD), whether the condition's
// field is looked up in the raw JSON or another rule of the table has the
// body decoded whole: a rule's result does not depend on the others.
func TestBodyInvalidUTF8(t *testing.T) {
	for _, c := range []struct{ when, body string }{
		{when: `body.name == "a\uFFFDb"`, body: "{\"name\":\"a\xffb\"}"},
		{when: `body.name == "a\uFFFD\uFFFDb"`, body: "{\"name\":\"a\xff\xfeb\"}"},
		{when: `body.name == "a\uFFFDb\n"`, body: "{\"name\":\"a\xffb\\n\"}"}, // unescaped by the lookup
		{when: `body.o.name == "caf\uFFFD"`, body: "{\"o\":{\"name\":\"caf\xe9\"}}"},
		{when: `body.o == {"name": "caf\uFFFD"}`, body: "{\"o\":{\"name\":\"caf\xe9\"}}"},
	} {
		for _, rules := range [][]route.Rule{
			{{Name: "r", When: c.when}},
			{{Name: "whole", When: `size(body) > 0`}, {Name: "r", When: c.when}},
		} {
			tbl, err := route.Compile(rules)
			if err != nil {
				t.Fatalf("%s: %v", c.when, err)
			}
			m, errs := tbl.Eval(&route.Input{Body: []byte(c.body)})
			if len(m) != len(rules) {
				t.Errorf("%s on %q, with %d rules: matched %v (errors %v); want every rule", c.when, c.body, len(rules), m, errs)
			}
		}
	}
}

func TestCompileNamesTheRule(t *testing.T) {
	for _, c := range []struct {
		when, want string
	}{
		{when: `type ==`, want: "Syntax error"},
		{when: `typ == "x"`, want: "undeclared reference to 'typ'"},
		{when: `type`, want: "not a bool"},
		{when: `version == "7"`, want: "no matching overload"},
	} {
		_, err := route.Compile([]route.Rule{{Name: "ok", When: `true`}, {Name: "broken", When: c.when}})
		if !errors.Is(err, route.ErrInvalid) || !strings.Contains(err.Error(), `"broken"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Compile(when %q) = %v; want ErrInvalid naming \"broken\" and %q", c.when, err, c.want)
		}
	}
}

// BenchmarkEval: two simple conditions, one reading a 1.5 KB body.
func BenchmarkEval(b *testing.B) {
	tbl, err := route.Compile([]route.Rule{
		{Name: "big-payments", When: `type == "invoice.paid" && body.data.object.amount_paid > 100000`},
		{Name: "beta", When: `"x-beta" in headers && headers["x-beta"] == "1"`},
	})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1","amount_paid":250000,"lines":"` + strings.Repeat("x", 1400) + `"}}}`)
	in := &route.Input{Provider: "stripe", Type: "invoice.paid", Body: body, Header: map[string][]string{"X-Beta": {"0"}}}
	b.ReportAllocs()
	for b.Loop() {
		if m, _ := tbl.Eval(in); len(m) != 1 {
			b.Fatalf("matches %v", m)
		}
	}
}
