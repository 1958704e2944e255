package verify_test

import (
	"crypto/sha1"
	"net/http"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestTrelloCallbackURL checks that the signed callback URL is the
// request's, with scheme and host taken from public_url when a proxy
// changes them.
func TestTrelloCallbackURL(t *testing.T) {
	const secret, body = "trello secret", `{"action":{"id":"a1"}}`
	public := "https://hooks.example.com/webhooks/trello?board=1"
	sig := macB64(sha1.New, secret, body+public)
	tests := []struct {
		name      string
		publicURL string
		url       string
		want      error
	}{
		{name: "request URL", url: public},
		{name: "behind a proxy", publicURL: "https://hooks.example.com", url: "http://10.0.0.7:8080/webhooks/trello?board=1"},
		{name: "public_url with slash", publicURL: "https://hooks.example.com/", url: "http://gw/webhooks/trello?board=1"},
		{name: "proxy without public_url", url: "http://10.0.0.7:8080/webhooks/trello?board=1", want: verify.ErrMismatch},
		{name: "other query", publicURL: "https://hooks.example.com", url: "http://gw/webhooks/trello?board=2", want: verify.ErrMismatch},
		{name: "no URL", want: verify.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "trello", Options{Secrets: []string{secret}, PublicURL: tt.publicURL})
			r := &verify.Request{Method: "POST", URL: tt.url, Header: http.Header{"X-Trello-Webhook": {sig}}, Body: []byte(body)}
			checkVerify(t, v, r, now, tt.want)
		})
	}
}
