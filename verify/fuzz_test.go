package verify

import (
	"net/http"
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
		sh, err := parseStripe(s)
		if err != nil {
			return
		}
		if sh.v1.n < 1 || sh.v1.n > maxSigs {
			t.Errorf("parseStripe(%q) = %d v1 signatures; want 1 to %d", s, sh.v1.n, maxSigs)
		}
		if ts, ok := parseUnix(sh.t); !ok || ts != sh.ts {
			t.Errorf("parseStripe(%q) = t %q, ts %d; want matching digits", s, sh.t, sh.ts)
		}
	})
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
		l, err := parseSWSignatures(s)
		if err == nil && (l.n < 1 || l.n > maxSigs) {
			t.Errorf("parseSWSignatures(%q) = %d signatures; want 1 to %d", s, l.n, maxSigs)
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
	seen := map[string]bool{}
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
		var hv [3]string
		r := v.request()
		for i, h := range headers {
			hv[i] = r.Header.Get(h)
		}
		f.Add(hv[0], hv[1], hv[2], []byte(v.Body), v.Now)
	}
	if len(o.Secrets) == 0 {
		f.Fatalf("no %s vectors to seed %s", scheme, typ)
	}
	ver, err := New(typ, o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	now := time.Unix(1700000000, 0)
	r := &Request{Header: http.Header{}, Body: []byte(`{"id":"evt_1","type":"a.b"}`)}
	if err := Sign(typ, r, o, now); err != nil {
		f.Fatalf("Sign(%s) = %v", typ, err)
	}
	var hv [3]string
	for i, h := range headers {
		hv[i] = r.Header.Get(h)
	}
	f.Add(hv[0], hv[1], hv[2], r.Body, now.Unix())

	f.Fuzz(func(t *testing.T, h0, h1, h2 string, body []byte, unix int64) {
		r := &Request{Method: "POST", Header: http.Header{}, Body: body}
		for i, v := range []string{h0, h1, h2}[:len(headers)] {
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
