package verify

import (
	"net/http"
	"testing"
	"time"
)

// FuzzVerifyMeta is seeded with the GitHub vectors: Meta signs the same way.
func FuzzVerifyMeta(f *testing.F) {
	fuzzVerify(f, "meta", "github", Options{VerifyToken: "vt"}, "X-Hub-Signature-256")
}

// FuzzVerifyMetaHandshake fuzzes the URL of the GET handshake.
func FuzzVerifyMetaHandshake(f *testing.F) {
	for _, s := range []string{
		"https://example.com/webhooks/meta?hub.mode=subscribe&hub.verify_token=vt&hub.challenge=1158201444",
		"https://example.com/?hub.mode=subscribe&hub.verify_token=v%26t&hub.challenge=a%20b",
		"/webhooks/meta?hub.mode=subscribe&hub.verify_token=x",
		"", "?", "%zz", "http://[::1", "?hub.mode=subscribe;hub.verify_token=vt",
	} {
		f.Add(s)
	}
	v, err := New("meta", Options{Secrets: []string{"app-secret"}, VerifyToken: "vt"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, u string) {
		res, err := v.Verify(&Request{Method: http.MethodGet, URL: u, Header: http.Header{}}, time.Unix(1700000000, 0))
		switch {
		case err == nil && res.Response == nil:
			t.Errorf("Verify(GET %q) = valid without a response", u)
		case err != nil && !isVerifyError(err):
			t.Errorf("Verify(GET %q) = %v; want one of the Verify sentinel errors", u, err)
		}
	})
}
