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
