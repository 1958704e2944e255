package config

import (
	"errors"
	"strings"
	"testing"
)

// TestEnvelopeDefaults: a provider without envelope takes the top-level
// one, which defaults to raw; a provider's own wins.
func TestEnvelopeDefaults(t *testing.T) {
	c := mustValid(t, `
providers:
  - {name: a, type: github, secrets: [s]}
`)
	if c.Envelope != EnvelopeRaw || c.Providers[0].Envelope != EnvelopeRaw {
		t.Errorf("envelopes %q, %q; want raw by default", c.Envelope, c.Providers[0].Envelope)
	}
	c = mustValid(t, `
envelope: cloudevents
providers:
  - {name: a, type: github, secrets: [s]}
  - {name: b, type: github, secrets: [s], envelope: json}
  - {name: c, type: github, secrets: [s], envelope: raw}
`)
	for i, want := range []string{EnvelopeCloudEvents, EnvelopeJSON, EnvelopeRaw} {
		if got := c.Providers[i].Envelope; got != want {
			t.Errorf("providers[%d].envelope = %q; want %q", i, got, want)
		}
	}
}

// TestEnvelopeUnknown: an unknown envelope is an error naming its field
// and the value, at the top level and in a provider.
func TestEnvelopeUnknown(t *testing.T) {
	err := validateErr(t, `
envelope: xml
providers:
  - {name: a, type: github, secrets: [s], envelope: CloudEvents}
  - {name: b, type: github, secrets: [s]}
`)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("Validate = %v; want ErrInvalid", err)
	}
	for _, want := range []string{
		`envelope: "xml" is not raw, cloudevents or json`,
		`providers[0] (a).envelope: "CloudEvents" is not raw, cloudevents or json`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error does not say %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "providers[1]") {
		t.Errorf("a provider that takes the bad default is reported too (once is enough):\n%v", err)
	}
}
