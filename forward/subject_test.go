package forward_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/forward"
)

func TestSubject(t *testing.T) {
	long := strings.Repeat("abcdefghi.", 40) // 400 bytes, tokens of 9
	tests := []struct {
		name, tmpl, provider, typ, want string
	}{
		{"default", "", "stripe", "invoice.paid", "webhooks.stripe.invoice.paid"},
		{"explicit default", forward.DefaultTemplate, "github", "push", "webhooks.github.push"},
		{"dots kept", "", "shop", "order.line_item.updated", "webhooks.shop.order.line_item.updated"},
		{"space and tab", "", "shop", "order created\tnow", "webhooks.shop.order_created_now"},
		{"wildcards", "", "shop", "order.*.>", "webhooks.shop.order._._"},
		{"wildcards inside token", "", "shop", "a*b>c", "webhooks.shop.a_b_c"},
		{"empty type", "", "shop", "", "webhooks.shop.unknown"},
		{"empty tokens", "", "shop", ".order..created.", "webhooks.shop.unknown.order.unknown.created.unknown"},
		{"empty provider", "", "", "push", "webhooks.unknown.push"},
		{"provider dots", "", "acme.eu", "push", "webhooks.acme_eu.push"},
		{"provider wildcard", "", "a*>", "push", "webhooks.a__.push"},
		{"unicode kept", "", "shop", "commande.créée.日本", "webhooks.shop.commande.créée.日本"},
		{"unicode space", "", "shop", "a\u00a0b\u2003c", "webhooks.shop.a_b_c"},
		{"control and format chars", "", "shop", "a\x00b\x7fc\u200bd", "webhooks.shop.a_b_c_d"},
		{"invalid utf8", "", "shop", "a\xffb", "webhooks.shop.a_b"},
		{"newline", "", "shop", "a\r\nb", "webhooks.shop.a__b"},
		{"custom template", "events.{type}.from.{provider}", "slack", "app_mention", "events.app_mention.from.slack"},
		{"placeholder inside token", "hooks.{provider}-v1.{type}", "zoom", "meeting.started", "hooks.zoom-v1.meeting.started"},
		{"no placeholders", "fixed.subject", "x", "y", "fixed.subject"},
		// A '/' separates tokens like a dot (Shopify topics such as orders/create).
		{"slash", "", "shop", "orders/create", "webhooks.shop.orders.create"},
		{"slashes and dots", "", "shop", "app/subscriptions.update/v2", "webhooks.shop.app.subscriptions.update.v2"},
		{"double slash", "", "shop", "a//b", "webhooks.shop.a.unknown.b"},
		{"leading slash", "", "shop", "/x", "webhooks.shop.unknown.x"},
		{"trailing slash", "", "shop", "x/", "webhooks.shop.x.unknown"},
		{"only a slash", "", "shop", "/", "webhooks.shop.unknown.unknown"},
		{"slash next to dot", "", "shop", "a./b", "webhooks.shop.a.unknown.b"},
		{"slash at start is _INBOX", "{type}", "shop", "_INBOX/x", "__INBOX.x"},
		{"slash at start is a JetStream API subject", "{type}", "shop", "$JS/API/STREAM/PURGE/WEBHOOKS", "_JS.API.STREAM.PURGE.WEBHOOKS"},
		{"long type cut at 256 bytes", "", "p", long, "webhooks.p." + long[:256]},
		{"long slashed type cut at 256 bytes", "", "p", strings.ReplaceAll(long, ".", "/"), "webhooks.p." + long[:256]},
		{"long type cut before a slash", "", "p", strings.Repeat("a", 255) + "/b", "webhooks.p." + strings.Repeat("a", 255)},
		{"long multibyte cut at rune", "", "p", strings.Repeat("é", 200), "webhooks.p." + strings.Repeat("é", 128)},
		// A placeholder that starts the subject never reaches '$' or _INBOX.
		{"type at start is a JetStream API subject", "{type}", "shop", "$JS.API.STREAM.PURGE.WEBHOOKS", "_JS.API.STREAM.PURGE.WEBHOOKS"},
		{"type at start is a system subject", "{type}.in", "shop", "$SYS.REQ.SERVER.PING", "_SYS.REQ.SERVER.PING.in"},
		{"type at start is only $", "{type}", "shop", "$", "_"},
		{"provider at start with $", "{provider}.{type}", "$G", "x", "_G.x"},
		{"type at start is _INBOX", "{type}", "shop", "_INBOX.abc.def", "__INBOX.abc.def"},
		{"type at start is _INBOX alone", "{type}", "shop", "_INBOX", "__INBOX"},
		{"literal and type make _INBOX", "_{type}", "shop", "INBOX.x", "__INBOX.x"},
		{"type at start like _INBOX kept", "{type}", "shop", "_INBOXES.x", "_INBOXES.x"},
		{"$ after the first token kept", "", "shop", "$JS.API.STREAM.PURGE.WEBHOOKS", "webhooks.shop.$JS.API.STREAM.PURGE.WEBHOOKS"},
		{"_INBOX after the first token kept", "", "shop", "_INBOX.x", "webhooks.shop._INBOX.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := forward.Subject(tt.tmpl, tt.provider, tt.typ)
			if got != tt.want {
				t.Errorf("Subject(%q, %q, %q) = %q; want %q", tt.tmpl, tt.provider, tt.typ, got, tt.want)
			}
			if err := forward.Enqueue(t.Context(), discardExec{}, forward.Message{ID: "x", Subject: got}, timeZero); err != nil {
				t.Errorf("Enqueue rejects rendered subject %q: %v", got, err)
			}
		})
	}
}

func TestValidateTemplate(t *testing.T) {
	tests := []struct {
		tmpl    string
		problem string // "" means valid
	}{
		{forward.DefaultTemplate, ""},
		{"events.{type}", ""},
		{"{provider}.{type}", ""},
		{"hooks.{provider}-in.{type}", ""},
		{"static.subject", ""},
		{"événements.{type}", ""},
		{"", "empty template"},
		{"webhooks.{provder}.{type}", "unknown placeholder {provder}"},
		{"webhooks.{}.x", "unknown placeholder {}"},
		{"webhooks.{provider.{type}", "unbalanced braces"},
		{"webhooks.{provider", "unbalanced braces"},
		{"webhooks.provider}.x", "unbalanced braces"},
		{"webhooks.{{type}}", "unbalanced braces"},
		{"webhooks..{type}", "empty token"},
		{".webhooks.{type}", "empty token"},
		{"webhooks.{type}.", "empty token at the end"},
		{"webhooks.*.{type}", "wildcard '*'"},
		{"webhooks.{type}.>", "wildcard '>'"},
		{"web hooks.{type}", "invalid character ' '"},
		{"webhooks\t.{type}", "invalid character '\\t'"},
		{"$JS.{type}", "reserved"},
		{"${type}", "reserved"},
		{"_INBOX.{type}", "reserved"},
		{"_INBOX", "reserved"},
		{"_INBOX{type}", ""},
		{"_INBOXES.{type}", ""},
		{"webhooks._INBOX.{type}", ""},
		{"webhooks.$JS.{type}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.tmpl, func(t *testing.T) {
			err := forward.ValidateTemplate(tt.tmpl)
			if tt.problem == "" {
				if err != nil {
					t.Errorf("ValidateTemplate(%q) = %v; want nil", tt.tmpl, err)
				}
				return
			}
			if !errors.Is(err, forward.ErrInvalidTemplate) || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("ValidateTemplate(%q) = %v; want ErrInvalidTemplate naming %q", tt.tmpl, err, tt.problem)
			}
		})
	}
}

func BenchmarkSubject(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		forward.Subject("", "shopify", "orders.partially_fulfilled")
	}
}

func TestSubjectIn(t *testing.T) {
	for _, c := range []struct {
		subj    string
		filters []string
		want    bool
	}{
		{"webhooks.shop.order.created", []string{"webhooks.>"}, true},
		{"webhooks", []string{"webhooks.>"}, false},
		{"webhooks.shop", []string{"webhooks.*"}, true},
		{"webhooks.shop.x", []string{"webhooks.*"}, false},
		{"webhooks.shop.x", []string{"webhooks.*.x"}, true},
		{"other.shop", []string{"webhooks.>", "other.*"}, true},
		{"other.shop", []string{"webhooks.>"}, false},
		{"a.b", []string{"a.b"}, true},
		{"a.b", []string{"a.b.c"}, false},
		{"a.b.c", []string{"a.b"}, false},
		{"a.b", nil, false},
	} {
		if got := forward.SubjectIn(c.subj, c.filters); got != c.want {
			t.Errorf("SubjectIn(%q, %q) = %v; want %v", c.subj, c.filters, got, c.want)
		}
	}
}

func TestTemplateCovered(t *testing.T) {
	for _, c := range []struct {
		tmpl     string
		subjects []string
		want     bool
	}{
		{"webhooks.{provider}.{type}", []string{"webhooks.>"}, true},
		{"webhooks.{provider}.{type}", []string{"webhooks.shop.>"}, true},
		{"webhooks.{provider}.{type}", []string{"webhooks.other.>"}, false},
		{"webhooks.{provider}.{type}", []string{"webhooks.*.*"}, false}, // {type} may be several tokens
		{"webhooks.{provider}", []string{"webhooks.*"}, true},
		{"webhooks.{provider}.{type}.x", []string{"webhooks.*.>"}, true},
		{"other.{type}", []string{"webhooks.>"}, false},
		{"a.b", []string{"a.b"}, true},
	} {
		if got := forward.TemplateCovered(c.tmpl, "shop", c.subjects); got != c.want {
			t.Errorf("TemplateCovered(%q, shop, %q) = %v; want %v", c.tmpl, c.subjects, got, c.want)
		}
	}
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"webhooks.>", "webhooks.shop.*", true},
		{"webhooks.a", "webhooks.b", false},
		{"a.*", "a.b.c", false},
		{"a.*.c", "a.b.*", true},
	} {
		if got := forward.SubjectsOverlap(c.a, c.b); got != c.want {
			t.Errorf("SubjectsOverlap(%q, %q) = %v; want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestTemplatesOverlap: two templates, each for its provider, overlap when
// some event type of each renders the same subject; the subject returned
// is one both render, with those types. {type} is one or more tokens of any
// characters but '/', at most 256 bytes; {provider} the provider's name.
func TestTemplatesOverlap(t *testing.T) {
	long := strings.Repeat("y", 256)
	for _, c := range []struct {
		a, pa, b, pb string
		want         string // the subject; "" for no overlap
	}{
		// The defect: a provider named stale, and the others' stale events.
		{"webhooks.{provider}.{type}", "stale", "webhooks.stale.{provider}.{type}", "shop", "webhooks.stale.shop.x"},
		{"webhooks.{provider}.{type}", "stale", "webhooks.stale.{provider}.{type}", "stale", "webhooks.stale.stale.x"},
		// Its own stale subject inside its live ones: type stale.x.
		{"webhooks.{provider}.{type}", "shop", "webhooks.{provider}.stale.{type}", "shop", "webhooks.shop.stale.x"},
		{"webhooks.{provider}.{type}", "shop", "webhooks.stale.{provider}.{type}", "shop", ""},
		{"webhooks.{provider}.{type}", "shop", "webhooks.stale.{provider}.{type}", "stale", ""},
		{"webhooks.{provider}.{type}", "stale-events", "webhooks.stale.{provider}.{type}", "shop", ""},
		{"webhooks.{provider}", "stale", "webhooks.stale.{provider}.{type}", "shop", ""},
		{"webhooks.{provider}", "stale", "webhooks.{provider}", "stale", "webhooks.stale"},
		{"audit.all", "a", "audit.all", "b", "audit.all"},
		{"audit.all", "a", "audit.{provider}", "all", "audit.all"},
		// {type} is one token at least, and may be many.
		{"a.{type}", "p", "a", "p", ""},
		{"a.{type}", "p", "a.b.c.d", "p", "a.b.c.d"},
		{"{type}.c", "p", "a.b.c", "p", "a.b.c"},
		{"{type}.c", "p", "{type}.d", "p", ""},
		// A rendered type holds no '/', a literal one stays.
		{"a/b.{type}", "p", "{type}.c.d", "p", ""},
		{"a/b.{type}", "p", "a/b.{type}", "q", "a/b.x"},
		{"{type}.x", "p", "a/b.x", "p", ""},
		{"{type}", "p", "a-b_c.x", "p", "a-b_c.x"},
		// No wildcard or space comes out of a type; a literal '*' never
		// passes ValidateTemplate.
		{"{type}", "p", "a.b", "p", "a.b"},
		// Placeholders inside a token.
		{"v1-{type}", "p", "v1-a.b", "p", "v1-a.b"},
		{"v1-{type}", "p", "v2-{type}", "p", ""},
		{"{provider}-{type}", "shop", "shop-{type}", "other", "shop-x"},
		{"x{type}.y", "p", "xa.b.y", "p", "xa.b.y"},
		{"x{type}.y", "p", "x.y", "p", ""}, // the type needs a character
		// At most 256 bytes of type.
		{"a.{type}", "p", "a." + long, "p", "a." + long},
		{"a.{type}", "p", "a." + long + "y", "p", ""},
		{"a.{type}", "p", "a." + long + ".y", "p", ""},
		{"a.{type}.{type}", "p", "a.b.c", "p", ""}, // one type twice: b and c differ
		{"a.{type}.{type}", "p", "a.b.b", "p", "a.b.b"},
	} {
		o, ok := forward.TemplatesOverlap(c.a, c.pa, c.b, c.pb)
		if ok != (c.want != "") || o.Subject != c.want {
			t.Errorf("TemplatesOverlap(%q, %s, %q, %s) = %+v, %v; want %q", c.a, c.pa, c.b, c.pb, o, ok, c.want)
			continue
		}
		if !ok {
			continue
		}
		if ga, gb := forward.Subject(c.a, c.pa, o.TypeA), forward.Subject(c.b, c.pb, o.TypeB); ga != o.Subject || gb != o.Subject {
			t.Errorf("TemplatesOverlap(%q, %s, %q, %s) = %+v: the types render %q and %q", c.a, c.pa, c.b, c.pb, o, ga, gb)
		}
		// Symmetric.
		if r, ok := forward.TemplatesOverlap(c.b, c.pb, c.a, c.pa); !ok || r.Subject == "" {
			t.Errorf("TemplatesOverlap(%q, %s, %q, %s) = %+v, %v; want an overlap, as the other way round", c.b, c.pb, c.a, c.pa, r, ok)
		}
	}
}

// TestTemplatesOverlapFindsEvery checks TemplatesOverlap against brute
// force on small random templates: every collision of their renderings
// for short event types is found (a subject it reports is checked by
// rendering, in TestTemplatesOverlap).
func TestTemplatesOverlapFindsEvery(t *testing.T) {
	parts := []string{"a", "b", "x", ".", "/", "{type}", "{provider}"}
	providers := []string{"a", "ab", "x"}
	var types []string
	var grow func(prefix string)
	grow = func(prefix string) {
		if prefix != "" {
			types = append(types, prefix)
		}
		if len(prefix) == 4 {
			return
		}
		for _, c := range []string{"a", "b", "x", ".", "/"} {
			grow(prefix + c)
		}
	}
	grow("")
	rng := rand.New(rand.NewPCG(1, 2))
	template := func() string {
		for {
			var b strings.Builder
			for range 1 + rng.IntN(5) {
				b.WriteString(parts[rng.IntN(len(parts))])
			}
			s := b.String()
			if forward.ValidateTemplate(s) == nil && strings.Count(s, "{type}") <= 1 {
				return s
			}
		}
	}
	for range 2000 {
		a, pa, b, pb := template(), providers[rng.IntN(len(providers))], template(), providers[rng.IntN(len(providers))]
		rendered := map[string]string{}
		for _, ty := range types {
			rendered[forward.Subject(a, pa, ty)] = ty
		}
		collision := ""
		for _, ty := range types {
			if _, ok := rendered[forward.Subject(b, pb, ty)]; ok {
				collision = forward.Subject(b, pb, ty)
				break
			}
		}
		o, ok := forward.TemplatesOverlap(a, pa, b, pb)
		if collision != "" && !ok {
			t.Errorf("TemplatesOverlap(%q, %s, %q, %s) = no overlap; both render %q", a, pa, b, pb, collision)
		}
		if ok && (forward.Subject(a, pa, o.TypeA) != o.Subject || forward.Subject(b, pb, o.TypeB) != o.Subject) {
			t.Errorf("TemplatesOverlap(%q, %s, %q, %s) = %+v, which the types do not render", a, pa, b, pb, o)
		}
	}
}
