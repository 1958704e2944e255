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
