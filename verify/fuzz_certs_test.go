package verify

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// certFuzzSetup gathers the vectors of the certificate-signed preset typ
// from vectors_more*.json: their secrets, their certificates (served by one
// in-memory client) and, through seed, their requests.
func certFuzzSetup(f *testing.F, typ string, seed func(v moreVector, r *Request)) Verifier {
	o := Options{}
	certs := vectorCerts{}
	for _, v := range mustLoadMoreVectors(f) {
		if v.Scheme != typ {
			continue
		}
		for _, s := range v.secrets(f) {
			if !slices.Contains(o.Secrets, s) {
				o.Secrets = append(o.Secrets, s)
			}
		}
		for u, pem := range v.Certs {
			certs[u] = pem
		}
		seed(v, v.request())
	}
	if len(o.Secrets) == 0 {
		f.Fatalf("no %s vectors", typ)
	}
	o.HTTPClient = &http.Client{Transport: certs}
	v, err := New(typ, o)
	if err != nil {
		f.Fatalf("New(%s) = %v", typ, err)
	}
	return v
}

// checkCertFuzz is checkFuzzVerify, where ErrKeysUnavailable (a fuzzed
// certificate URL that the in-memory client does not serve) is also an
// answer.
func checkCertFuzz(t *testing.T, typ string, res Result, err error) {
	t.Helper()
	if errors.Is(err, ErrKeysUnavailable) {
		return
	}
	checkFuzzVerify(t, typ, 1<<10, res, err)
}

// FuzzVerifySNS: Verify of sns must not panic on any body, and must answer
// with a secret index or a sentinel error.
func FuzzVerifySNS(f *testing.F) {
	ver := certFuzzSetup(f, "sns", func(v moreVector, r *Request) { f.Add(r.Body, v.Now) })
	f.Fuzz(func(t *testing.T, body []byte, unix int64) {
		res, err := ver.Verify(&Request{Method: "POST", Header: http.Header{}, Body: body}, time.Unix(unix, 0))
		checkCertFuzz(t, "sns", res, err)
	})
}

// FuzzVerifyPayPal: likewise for paypal, its five headers a line each.
func FuzzVerifyPayPal(f *testing.F) {
	headers := []string{paypalID, paypalTime, paypalSig, paypalCertURL, paypalAlgo}
	lines := func(r *Request) string {
		vals := make([]string, len(headers))
		for i, h := range headers {
			vals[i] = r.Header.Get(h)
		}
		return strings.Join(vals, "\n")
	}
	ver := certFuzzSetup(f, "paypal", func(v moreVector, r *Request) { f.Add(lines(r), r.Body, v.Now) })
	f.Fuzz(func(t *testing.T, hv string, body []byte, unix int64) {
		r := &Request{Method: "POST", Header: http.Header{}, Body: body}
		for i, v := range strings.SplitN(hv, "\n", len(headers)) {
			r.Header.Set(headers[i], v)
		}
		res, err := ver.Verify(r, time.Unix(unix, 0))
		checkCertFuzz(t, "paypal", res, err)
	})
}
