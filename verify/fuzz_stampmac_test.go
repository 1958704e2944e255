package verify

import "testing"

func FuzzVerifyCustomerio(f *testing.F) {
	fuzzVerifyMore(f, "customerio", "X-CIO-Signature", "X-CIO-Timestamp")
}

func FuzzVerifyFrameio(f *testing.F) {
	fuzzVerifyMore(f, "frameio", "X-Frameio-Signature", "X-Frameio-Request-Timestamp")
}

func FuzzVerifyWebflow(f *testing.F) {
	fuzzVerifyMore(f, "webflow", "X-Webflow-Signature", "X-Webflow-Timestamp")
}

func FuzzVerifyZendesk(f *testing.F) {
	fuzzVerifyMore(f, "zendesk", "X-Zendesk-Webhook-Signature", "X-Zendesk-Webhook-Signature-Timestamp")
}

// FuzzRFC3339PrefixFree checks what Zendesk's check rests on: the content
// {timestamp}{body} splits into an RFC 3339 timestamp and a body in at
// most one way, so no bytes can move between them under one signature.
func FuzzRFC3339PrefixFree(f *testing.F) {
	for _, s := range []string{"2026-12-05T07:56:32Z{}", "2026-12-05T07:56:32.5Z", "2026-12-05T07:56:32+01:00:00", "2026-12-05T07:56:32.123456789Z9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		first := -1
		for k := 0; k <= len(content); k++ {
			if _, ok := stampRFC3339.parse(content[:k]); !ok {
				continue
			}
			if first >= 0 {
				t.Fatalf("%q splits as an RFC 3339 timestamp after %d and after %d bytes", content, first, k)
			}
			first = k
		}
	})
}
