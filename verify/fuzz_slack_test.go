package verify

import "testing"

func FuzzVerifySlack(f *testing.F) {
	fuzzVerify(f, "slack", "slack", Options{}, "X-Slack-Signature", "X-Slack-Request-Timestamp")
}

func FuzzVerifyZoom(f *testing.F) {
	fuzzVerify(f, "zoom", "zoom", Options{}, "x-zm-signature", "x-zm-request-timestamp")
}
