package verify

import (
	"path/filepath"
	"testing"
	"time"
)

// fuzzHandshakes fuzzes Verify of preset typ, built with o plus the secrets
// of its vectors, with the method, the URL, up to three header values and
// the body, seeded with the preset's vectors of vectors_more*.json. Verify
// must not panic, and must return either a valid SecretIndex or one of its
// sentinel errors.
func fuzzHandshakes(f *testing.F, typ string, o Options, headers ...string) {
	for _, v := range mustLoadMoreVectors(f) {
		if v.Scheme != typ {
			continue
		}
		addSecrets(&o, v.secrets(f))
		r := v.request()
		hv := headerValues(r, headers)
		f.Add(r.Method, r.URL, hv[0], hv[1], hv[2], r.Body)
	}
	ver, err := New(typ, o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	now := time.Unix(1700000000, 0)
	f.Fuzz(func(t *testing.T, method, url, h0, h1, h2 string, body []byte) {
		res, err := ver.Verify(fuzzRequest(method, url, body, headers, h0, h1, h2), now)
		// Asana's learned secret (none here: secrets are configured, so
		// nothing is learned) would take the index after them.
		checkFuzzVerify(t, typ, len(o.Secrets), res, err)
	})
}

func FuzzAsanaVerify(f *testing.F) {
	fuzzHandshakes(f, "asana", Options{SecretFile: filepath.Join(f.TempDir(), "asana.secret")}, asanaSignatureHeader, asanaSecretHeader)
}

func FuzzMSGraphVerify(f *testing.F) {
	fuzzHandshakes(f, "msgraph", Options{})
}

func FuzzEventGridVerify(f *testing.F) {
	fuzzHandshakes(f, "eventgrid", Options{QueryParam: "code"}, eventGridTypeHeader, eventGridOriginHeader)
}

func FuzzStravaVerify(f *testing.F) {
	fuzzHandshakes(f, "strava", Options{VerifyToken: "STRAVA"})
}

func FuzzRingCentralVerify(f *testing.F) {
	fuzzHandshakes(f, "ringcentral", Options{}, ringCentralTokenHeader, ringCentralValidationHeader)
}
