package config

import (
	"errors"
	"strings"
	"testing"
)

func TestOrderingStale(t *testing.T) {
	const base = `
providers:
  - name: shop
    type: stripe
    secrets: [whsec_a]
    ordering: {key: data.object.id, version: created, %s}
`
	c := mustValid(t, strings.Replace(base, "%s", "stale: forward", 1))
	if o := c.Providers[0].Ordering; !o.StaleForward() || o.StaleSubject != DefaultStaleSubject {
		t.Errorf("ordering = %+v; want stale forward to %s", o, DefaultStaleSubject)
	}
	for _, tc := range []struct{ set, want string }{
		{set: "stale: keep", want: `ordering.stale: "keep" is not drop or forward`},
		{set: "stale_subject: webhooks.old", want: "ordering.stale_subject: goes with ordering.stale: forward"},
		{set: "stale: forward, stale_subject: 'other.{provider}'", want: "does not fall inside nats.subjects"},
		{set: "stale: forward, stale_subject: 'webhooks.{nope}'", want: "ordering.stale_subject"},
	} {
		_, err := readValidate(t, strings.Replace(base, "%s", tc.set, 1))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate = %v; want %q", tc.set, err, tc.want)
		}
	}
}

// TestStaleSubjectOverlaps: a subject of live events (a provider's, or a
// route's for a provider it copies) that some event types bring onto a
// stale subject (ordering.stale: forward), the provider's own included, is
// refused, naming both fields and a subject both give; live subjects may
// share subjects, and templates that cannot meet pass.
func TestStaleSubjectOverlaps(t *testing.T) {
	const stale = "ordering: {key: data.object.id, version: created, stale: forward}"
	provider := func(name, more string) string {
		return "  - {name: " + name + ", type: stripe, secrets: [whsec_a]" + more + "}\n"
	}
	for _, c := range []struct {
		name, config string
		want         []string // nil: valid
	}{
		{"a provider named stale", "providers:\n" + provider("stale", "") + provider("shop", ", "+stale),
			[]string{`providers[0] (stale).subject: "webhooks.{provider}.{type}" (the default) and providers[1] (shop).ordering.stale_subject "webhooks.stale.{provider}.{type}" (the default) can give the same subject: webhooks.stale.shop.x is where stale's events of type "shop.x" go, and where shop's stale events of type "x" go`,
				"a consumer of stale events would get live events, and the reverse"}},
		{"a provider named stale, its own stale events", "providers:\n" + provider("stale", ", "+stale),
			[]string{`providers[0] (stale).subject: "webhooks.{provider}.{type}" (the default) and providers[0] (stale).ordering.stale_subject "webhooks.stale.{provider}.{type}" (the default) can give the same subject: webhooks.stale.stale.x is where stale's events of type "stale.x" go`}},
		{"stale events under the live ones", "providers:\n" + provider("shop", `, ordering: {key: data.object.id, version: created, stale: forward, stale_subject: "webhooks.{provider}.stale.{type}"}`),
			[]string{`providers[0] (shop).subject: "webhooks.{provider}.{type}" (the default) and providers[0] (shop).ordering.stale_subject "webhooks.{provider}.stale.{type}" can give the same subject: webhooks.shop.stale.x`}},
		{"a route onto stale subjects", "providers:\n" + provider("shop", ", "+stale) + provider("other", "") +
			"routes:\n  - {name: late, subject: \"webhooks.stale.{provider}.{type}\"}\n",
			[]string{`routes[0] (late).subject: "webhooks.stale.{provider}.{type}" and providers[0] (shop).ordering.stale_subject "webhooks.stale.{provider}.{type}" (the default) can give the same subject: webhooks.stale.shop.x is where route late's copies of shop's events of type "x" go, and where shop's stale events of type "x" go`}},
		// The route copies only other's events: webhooks.stale.other.*.
		{"a route for another provider", "providers:\n" + provider("shop", ", "+stale) + provider("other", "") +
			"routes:\n  - {name: late, providers: [other], subject: \"webhooks.stale.{provider}.{type}\"}\n", nil},
		{"a provider named stale without stale events", "providers:\n" + provider("stale", "") + provider("shop", ""), nil},
		{"shared live subjects", "providers:\n" + provider("github-a", `, subject: "webhooks.github.{type}", `+stale) +
			provider("github-b", `, subject: "webhooks.github.{type}"`) +
			"routes:\n  - {name: audit, subject: \"webhooks.audit.{provider}\"}\n  - {name: all, subject: \"webhooks.github.{type}\"}\n", nil},
		{"names that only start alike", "providers:\n" + provider("stale-events", "") + provider("shop", ", "+stale), nil},
		{"a stale subject of one token less", "providers:\n" + provider("stale", `, subject: "webhooks.{provider}"`) + provider("shop", ", "+stale), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := readValidate(t, c.config)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Validate = %v; want the config valid", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate = %v; want ErrInvalid", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate = %v\nwant it to say %s", err, w)
				}
			}
		})
	}
}
