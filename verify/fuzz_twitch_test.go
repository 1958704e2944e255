package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func FuzzVerifyTwitch(f *testing.F) {
	fuzzVerifyLines(f, "twitch-eventsub", "twitch-eventsub", Options{},
		twitchSignature, twitchID, twitchTimestamp, twitchType)
}

// fuzzVerifyLines is fuzzVerify for schemes that read more than three
// headers: the header values are one fuzzed string, a line each. Verify must
// not panic, and must return either a valid SecretIndex or one of its
// sentinel errors.
func fuzzVerifyLines(f *testing.F, typ, scheme string, o Options, headers ...string) {
	seen := map[string]bool{}
	lines := func(r *Request) string {
		vals := make([]string, len(headers))
		for i, h := range headers {
			vals[i] = r.Header.Get(h)
		}
		return strings.Join(vals, "\n")
	}
	for _, v := range mustLoadVectors(f) {
		if v.Scheme != scheme {
			continue
		}
		for _, s := range v.secrets(f) {
			if !seen[s] {
				seen[s] = true
				o.Secrets = append(o.Secrets, s)
			}
		}
		f.Add(lines(v.request()), []byte(v.Body), v.Now)
	}
	if len(o.Secrets) == 0 {
		f.Fatalf("no %s vectors to seed %s", scheme, typ)
	}
	ver, err := New(typ, o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	now := time.Unix(1700000000, 0)
	r := &Request{Header: http.Header{}, Body: []byte(`{"challenge":"abc","type":"a.b"}`)}
	if err := Sign(typ, r, o, now); err != nil {
		f.Fatalf("Sign(%s) = %v", typ, err)
	}
	f.Add(lines(r), r.Body, now.Unix())

	f.Fuzz(func(t *testing.T, hv string, body []byte, unix int64) {
		r := &Request{Method: "POST", Header: http.Header{}, Body: body}
		for i, v := range strings.SplitN(hv, "\n", len(headers)) {
			r.Header.Set(headers[i], v)
		}
		res, err := ver.Verify(r, time.Unix(unix, 0))
		switch {
		case err == nil && (res.SecretIndex < 0 || res.SecretIndex >= len(o.Secrets)):
			t.Errorf("Verify(%s) = index %d; want 0 to %d", typ, res.SecretIndex, len(o.Secrets)-1)
		case err != nil && !isVerifyError(err):
			t.Errorf("Verify(%s) = %v; want one of the Verify sentinel errors", typ, err)
		}
	})
}
