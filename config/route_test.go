package config

import (
	"errors"
	"strings"
	"testing"
)

const routesBase = `
providers:
  - name: stripe
    type: stripe
    secrets: [whsec_a]
  - name: shop
    type: shopify
    secrets: [s]
routes:
`

func TestRoutes(t *testing.T) {
	c := mustValid(t, routesBase+`
  - name: big-payments
    providers: [stripe]
    when: 'type == "invoice.paid" && body.data.object.amount_paid > 100000'
    subject: "webhooks.priority.{provider}.{type}"
    headers: {Hookgate-Priority: high}
  - name: no-pings
    when: 'type == "ping"'
    action: drop
`)
	if len(c.Routes) != 2 || !c.Routes[1].Drop() || c.Routes[0].Drop() {
		t.Fatalf("routes = %+v", c.Routes)
	}
	for _, tc := range []struct {
		name, routes string
		want         []string // each in the error
	}{
		{name: "no name", routes: `
  - subject: webhooks.x`, want: []string{"routes[0].name", "needs a name"}},
		{name: "same name", routes: `
  - {name: a, subject: webhooks.a}
  - {name: a, subject: webhooks.b}`, want: []string{"routes[1] (a).name", "also the name of routes[0]"}},
		{name: "unknown provider", routes: `
  - {name: a, providers: [github], subject: webhooks.a}`, want: []string{"routes[0] (a).providers", `"github" is not a configured provider`}},
		{name: "no subject", routes: `
  - {name: a, when: "true"}`, want: []string{"routes[0] (a).subject", "action: drop"}},
		{name: "subject outside the stream", routes: `
  - {name: a, subject: "events.{provider}"}`, want: []string{"routes[0] (a).subject", "does not fall inside nats.subjects"}},
		{name: "bad template", routes: `
  - {name: a, subject: "webhooks.{nope}"}`, want: []string{"routes[0] (a).subject"}},
		{name: "drop with a subject", routes: `
  - {name: a, action: drop, subject: webhooks.a}`, want: []string{"routes[0] (a).action", "forwards nothing"}},
		{name: "unknown action", routes: `
  - {name: a, action: copy, subject: webhooks.a}`, want: []string{"routes[0] (a).action", `"copy" is not drop`}},
		{name: "gateway header", routes: `
  - {name: a, subject: webhooks.a, headers: {hookgate-event-id: x}}`, want: []string{"routes[0] (a).headers", "Hookgate-Event-Id is set by NATS or the gateway"}},
		{name: "stale header", routes: `
  - {name: a, subject: webhooks.a, headers: {Hookgate-Stale: "true"}}`, want: []string{"Hookgate-Stale is set by NATS or the gateway"}},
		{name: "cloudevents header", routes: `
  - {name: a, subject: webhooks.a, headers: {ce-type: x}}`, want: []string{"Ce-Type is set by NATS or the gateway"}},
		// What NATS takes as a header name, as forward checks a message:
		// printable ASCII, so that the copies are not refused at each event.
		{name: "header name outside ASCII", routes: `
  - {name: a, subject: webhooks.a, headers: {"X-Priorität": high}}`, want: []string{"routes[0] (a).headers", `"X-Priorität" is not a header name: invalid character`}},
		{name: "header name with a control byte", routes: `
  - {name: a, subject: webhooks.a, headers: {"X-A\x7f": high}}`, want: []string{"routes[0] (a).headers", `is not a header name: invalid character '\x7f'`}},
		{name: "nats header", routes: `
  - {name: a, subject: webhooks.a, headers: {Nats-Msg-Id: x}}`, want: []string{"Nats-Msg-Id is set by NATS"}},
		{name: "condition", routes: `
  - {name: a, subject: webhooks.a, when: 'typ == "x"'}`, want: []string{`route: invalid rule "a": when:`, "undeclared reference to 'typ'"}},
		{name: "not a bool", routes: `
  - {name: a, subject: webhooks.a, when: 'id'}`, want: []string{`"a"`, "not a bool"}},
	} {
		_, err := readValidate(t, routesBase+tc.routes)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Validate = %v; want ErrInvalid", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: Validate = %v; want it to say %q", tc.name, err, w)
			}
		}
	}
}
