package verify

import (
	"bytes"
	"encoding/json"
	"testing"
)

func FuzzVerifySlack(f *testing.F) {
	fuzzVerify(f, "slack", "slack", Options{}, "X-Slack-Signature", "X-Slack-Request-Timestamp")
}

func FuzzVerifyZoom(f *testing.F) {
	fuzzVerify(f, "zoom", "zoom", Options{}, "x-zm-signature", "x-zm-request-timestamp")
}

// FuzzSlackForm checks slackForm on any body: no panic; a reported
// Payload is valid JSON with the reported type, and only forms get a type.
func FuzzSlackForm(f *testing.F) {
	f.Add([]byte("command=%2Fdeploy&trigger_id=t.1"))
	f.Add([]byte("payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A%22b.1%22%7D"))
	f.Add([]byte(`{"type":"event_callback"}`))
	f.Add([]byte("payload=%7B%zz&command=x"))
	f.Fuzz(func(t *testing.T, body []byte) {
		res := slackForm(body, Result{})
		if res.Payload != nil && !json.Valid(res.Payload) {
			t.Errorf("slackForm(%q) payload %q is not valid JSON", body, res.Payload)
		}
		if res.Type != "" && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
			t.Errorf("slackForm(%q) = type %q for a JSON body", body, res.Type)
		}
		if res.Payload == nil && res.Type != "" && res.Type != "slash_command" {
			t.Errorf("slackForm(%q) = type %q without a payload", body, res.Type)
		}
	})
}
