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
	lines := func(r *Request) string {
		vals := make([]string, len(headers))
		for i, h := range headers {
			vals[i] = r.Header.Get(h)
		}
		return strings.Join(vals, "\n")
	}
	ver := mustFuzzVerifier(f, typ, scheme, &o, func(v vector, r *Request) {
		f.Add(lines(r), []byte(v.Body), v.Now)
	})
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
		checkFuzzVerify(t, typ, len(o.Secrets), res, err)
	})
}
