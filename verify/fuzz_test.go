package verify

import (
	"crypto/sha256"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Fuzz targets: plain `go test` runs their seeds only; run one with
// `go test -fuzz=FuzzParseStripe ./verify`.

func FuzzParseStripe(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		if s := v.Headers["Stripe-Signature"]; s != "" {
			f.Add(s)
		}
	}
	for _, s := range []string{"", ",", "t=", "t=1", "v1=", "t=1,v1=", "t=1,v1=00", "t==", "t=1,t=2", "=,=", " t=1 , v1=zz ",
		"t=99999999999999999999,v1=" + strings.Repeat("a", 64)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fuzzParseKV(t, &stripeScheme, s)
	})
}

// fuzzParseKV checks what the parser of k returns for s: an error, or
// one set (up to maxKVSets for kvSets) with timestamps that are the digits
// they were parsed from, and 1 to maxSigs signatures in a set.
func fuzzParseKV(t *testing.T, k *kvScheme, s string) {
	var p kvSigs
	if err := k.parse(s, &p); err != nil {
		return
	}
	most := 1
	if k.layout == kvSets {
		most = maxKVSets
	}
	if p.n < 1 || p.n > most {
		t.Errorf("%s parse(%q) = %d sets; want 1 to %d", k.name, s, p.n, most)
	}
	usable := false
	for i := range p.n {
		set := &p.sets[i]
		if ts, ok := parseUnix(set.t); !ok || ts != set.ts {
			t.Errorf("%s parse(%q) set %d = t %q, ts %d; want matching digits", k.name, s, i, set.t, set.ts)
		}
		if set.sigs.n > maxSigs || k.layout != kvSets && set.sigs.n < 1 {
			t.Errorf("%s parse(%q) set %d = %d signatures; want 1 to %d", k.name, s, i, set.sigs.n, maxSigs)
		}
		usable = usable || set.sigs.n > 0
	}
	if !usable {
		t.Errorf("%s parse(%q) = no signature and no error", k.name, s)
	}
}

func FuzzParseSWSignatures(f *testing.F) {
	for _, v := range mustLoadVectors(f) {
		for _, k := range []string{"webhook-signature", "svix-signature"} {
			if s := v.Headers[k]; s != "" {
				f.Add(s)
			}
		}
	}
	for _, s := range []string{"", " ", ",", "v1,", "v1,=", "v1a,abc v1,", "v1,AAAA", "v1," + strings.Repeat("A", 43) + "="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var l wideSigList
		if err := parseSWSignatures(s, "v1", sha256.Size, &l); err == nil && (l.n < 1 || l.n > maxSigs) {
			t.Errorf("parseSWSignatures(%q, v1) = %d signatures; want 1 to %d", s, l.n, maxSigs)
		}
	})
}

func FuzzVerifyStripe(f *testing.F) {
	fuzzVerify(f, "stripe", "stripe", Options{}, "Stripe-Signature")
}

func FuzzVerifyGitHub(f *testing.F) {
	fuzzVerify(f, "github", "github", Options{}, "X-Hub-Signature-256")
}

func FuzzVerifyGitHubSHA1(f *testing.F) {
	fuzzVerify(f, "github-sha1", "github-sha1", Options{}, "X-Hub-Signature")
}

func FuzzVerifyStandardWebhooks(f *testing.F) {
	fuzzVerify(f, "standard-webhooks", "standard-webhooks", Options{}, "webhook-id", "webhook-timestamp", "webhook-signature")
}

func FuzzVerifySvix(f *testing.F) {
	fuzzVerify(f, "svix", "standard-webhooks", Options{}, "svix-id", "svix-timestamp", "svix-signature")
}

func FuzzVerifyHMAC(f *testing.F) {
	o := Options{Header: "X-Hub-Signature-256", Prefix: "sha256="}
	fuzzVerify(f, "hmac", "github", o, "X-Hub-Signature-256")
}

// fuzzVerify fuzzes Verify of preset typ with up to three header values, the
// body and the clock, seeded with the vectors of scheme (whose secrets are
// all configured) and with a freshly signed request. Verify must not panic,
// and must return either a valid SecretIndex or one of its sentinel errors.
func fuzzVerify(f *testing.F, typ, scheme string, o Options, headers ...string) {
	ver := mustFuzzVerifier(f, typ, scheme, &o, func(v vector, r *Request) {
		hv := headerValues(r, headers)
		f.Add(hv[0], hv[1], hv[2], []byte(v.Body), v.Now)
	})
	now := time.Unix(1700000000, 0)
	r := &Request{Header: http.Header{}, Body: []byte(`{"id":"evt_1","type":"a.b"}`)}
	if err := Sign(typ, r, o, now); err != nil {
		f.Fatalf("Sign(%s) = %v", typ, err)
	}
	hv := headerValues(r, headers)
	f.Add(hv[0], hv[1], hv[2], r.Body, now.Unix())

	f.Fuzz(func(t *testing.T, h0, h1, h2 string, body []byte, unix int64) {
		r := fuzzRequest("POST", "", body, headers, h0, h1, h2)
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkFuzzVerify(t, typ, len(o.Secrets), res, err)
	})
}

// mustFuzzVerifier adds to o the secrets of the vectors of scheme, each
// once, calls seed with each of those vectors and its request, and returns
// the verifier of preset typ for o.
func mustFuzzVerifier(f *testing.F, typ, scheme string, o *Options, seed func(v vector, r *Request)) Verifier {
	f.Helper()
	for _, v := range mustLoadVectors(f) {
		if v.Scheme != scheme {
			continue
		}
		addSecrets(o, v.secrets(f))
		seed(v, v.request())
	}
	if len(o.Secrets) == 0 {
		f.Fatalf("no %s vectors to seed %s", scheme, typ)
	}
	ver, err := New(typ, *o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	return ver
}

// addSecrets appends to o.Secrets those of secrets it does not hold yet.
func addSecrets(o *Options, secrets []string) {
	for _, s := range secrets {
		if !slices.Contains(o.Secrets, s) {
			o.Secrets = append(o.Secrets, s)
		}
	}
}

// headerValues returns the values in r of up to three headers.
func headerValues(r *Request, headers []string) (hv [3]string) {
	for i, h := range headers {
		hv[i] = r.Header.Get(h)
	}
	return hv
}

// fuzzRequest returns a request with the fuzzed values of headers, one
// each; values beyond the headers are unused.
func fuzzRequest(method, url string, body []byte, headers []string, vals ...string) *Request {
	r := &Request{Method: method, URL: url, Header: http.Header{}, Body: body}
	for i, h := range headers {
		r.Header.Set(h, vals[i])
	}
	return r
}

// checkFuzzVerify fails t unless Verify of typ returned the index of one of
// n secrets (0 when there are none, for claims-only schemes) or one of its
// sentinel errors.
func checkFuzzVerify(t *testing.T, typ string, n int, res Result, err error) {
	t.Helper()
	switch {
	case err == nil && (res.SecretIndex < 0 || res.SecretIndex >= max(1, n)):
		t.Errorf("Verify(%s) = index %d; want 0 to %d", typ, res.SecretIndex, n-1)
	case err != nil && !isVerifyError(err):
		t.Errorf("Verify(%s) = %v; want one of the Verify sentinel errors", typ, err)
	}
}

// seedHeader adds to f every value of header in the conformance vectors,
// then seeds.
func seedHeader(f *testing.F, header string, seeds ...string) {
	f.Helper()
	for _, v := range mustLoadVectors(f) {
		if s := v.Headers[header]; s != "" {
			f.Add(s)
		}
	}
	for _, s := range seeds {
		f.Add(s)
	}
}
