package verify

import (
	"testing"
	"time"
)

// templateConfigs configure hmac-template as other providers' schemes, by
// the vectors' scheme id. TestTemplateVectors runs every vector of these
// schemes through them: the generic scheme must reach the same verdicts as
// the presets.
var templateConfigs = map[string]Options{
	"stripe":    {Header: "Stripe-Signature", Format: "kv", Template: "{timestamp}.{body}"},
	"calendly":  {Header: "Calendly-Webhook-Signature", Format: "kv:t,v1", Template: "{timestamp}.{body}"},
	"paddle":    {Header: "Paddle-Signature", Format: "kv;:ts,h1", Template: "{timestamp}:{body}"},
	"slack":     {Header: "X-Slack-Signature", Prefix: "v0=", Template: "v0:{timestamp}:{body}", TimestampHeader: "X-Slack-Request-Timestamp"},
	"zoom":      {Header: "x-zm-signature", Prefix: "v0=", Template: "v0:{timestamp}:{body}", TimestampHeader: "x-zm-request-timestamp"},
	"pagerduty": {Header: "X-PagerDuty-Signature", Format: "list", Prefix: "v1="},
	"typeform":  {Header: "Typeform-Signature", Prefix: "sha256=", Encoding: "base64"},
	"twitch-eventsub": {
		Header: "Twitch-Eventsub-Message-Signature", Prefix: "sha256=",
		Template:        "{header:Twitch-Eventsub-Message-Id}{timestamp}{body}",
		TimestampHeader: "Twitch-Eventsub-Message-Timestamp",
	},
	// Box sends a signature per key; the template checks the primary one.
	"box": {Header: "BOX-SIGNATURE-PRIMARY", Encoding: "base64", Template: "{body}{timestamp}", TimestampHeader: "BOX-DELIVERY-TIMESTAMP"},
}

// templateSkip lists vectors whose verdict depends on more than the
// template can express.
var templateSkip = map[string]string{
	"box-valid-secondary-after-rotation": "matches on BOX-SIGNATURE-SECONDARY, a second header",
}

func TestTemplateVectors(t *testing.T) {
	seen := map[string]bool{}
	for _, vec := range mustLoadVectors(t) {
		o, ok := templateConfigs[vec.Scheme]
		if !ok {
			continue
		}
		seen[vec.Scheme] = true
		t.Run(vec.ID, func(t *testing.T) {
			if why, skip := templateSkip[vec.ID]; skip {
				t.Skip(why)
			}
			o.Secrets = vec.secrets(t)
			if o.Template != "" && vec.ToleranceS > 0 {
				o.Tolerance = time.Duration(vec.ToleranceS) * time.Second
			}
			v, err := New("hmac-template", o)
			if err != nil {
				t.Fatalf("New(hmac-template as %s) = %v", vec.Scheme, err)
			}
			_, err = v.Verify(vec.request(), time.Unix(vec.Now, 0))
			switch {
			case vec.Expect == "valid" && err != nil:
				t.Errorf("Verify(%s) = %v; want valid (%s)", vec.ID, err, vec.Reason)
			case vec.Expect == "invalid" && err == nil:
				t.Errorf("Verify(%s) = valid; want invalid (%s)", vec.ID, vec.Reason)
			case err != nil && !isVerifyError(err):
				t.Errorf("Verify(%s) = %v; want one of the Verify sentinel errors", vec.ID, err)
			}
		})
	}
	for s := range templateConfigs {
		if !seen[s] {
			t.Errorf("no vectors of scheme %s", s)
		}
	}
}
