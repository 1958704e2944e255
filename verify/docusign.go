package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "docusign",
		Scheme:      "hmac-sha256",
		Description: "DocuSign Connect: X-DocuSign-Signature-1..N <base64> HMAC-SHA256 over the body, one per Connect HMAC key raw",
		Headers:     []string{"X-DocuSign-Signature-1"},
		// Connect payloads can be XML as well as JSON, and carry no event
		// ID: the body's SHA-256 identifies a delivery and no JSON field
		// is read by default.
		New:  newWith(newDocuSign),
		Sign: signWith(newDocuSign),
	})
}

// docuSignPrefix starts the canonical names of DocuSign's signature
// headers, X-DocuSign-Signature-1 to -N.
const docuSignPrefix = "X-Docusign-Signature-"

// maxDocuSignSigs is the most HMAC keys a Connect configuration can have,
// hence the most signature headers of one request.
const maxDocuSignSigs = 100

// docuSignVerifier checks DocuSign Connect's scheme: the body is signed
// with each HMAC key of the Connect configuration, and each signature sent
// in its own numbered header.
type docuSignVerifier struct{ macs *macSet }

var _ Verifier = (*docuSignVerifier)(nil)

func newDocuSign(o Options) (*docuSignVerifier, error) {
	return &docuSignVerifier{macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. Any numbered signature header may carry the
// match: the numbering follows the keys' order in DocuSign, not here.
func (v *docuSignVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	var sigs [maxDocuSignSigs][sha256.Size]byte
	n, seen := 0, 0
	for k, vals := range r.Header {
		if len(k) <= len(docuSignPrefix) || !strings.EqualFold(k[:len(docuSignPrefix)], docuSignPrefix) || !docuSignIndex(k[len(docuSignPrefix):]) {
			continue
		}
		for _, s := range vals {
			if seen++; seen > maxDocuSignSigs {
				return Result{}, fmt.Errorf("header %s1: more than %d signature headers: %w", docuSignPrefix, maxDocuSignSigs, ErrMalformed)
			}
			if decodeMAC(sigs[n][:], s, encBase64) {
				n++
			}
		}
	}
	switch {
	case seen == 0:
		return Result{}, fmt.Errorf("header %s1: %w", docuSignPrefix, ErrNoSignature)
	case n == 0:
		return Result{}, fmt.Errorf("header %s1: no signature header holds a %d-byte base64 MAC: %w", docuSignPrefix, sha256.Size, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		st.h.Write(r.Body)
		mac := st.sum()
		ok := false
		for j := 0; j < n; j++ {
			ok = hmac.Equal(mac, sigs[j][:]) || ok
		}
		return ok
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s1: %d signatures match none of %d secrets: %w", docuSignPrefix, n, len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

func (v *docuSignVerifier) sign(r *Request, _ time.Time) error {
	r.Header.Set(docuSignPrefix+"1", v.macs.mac(0, encBase64, func(st *macState) { st.h.Write(r.Body) }))
	return nil
}

// docuSignIndex reports whether s is one to three decimal digits.
func docuSignIndex(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
