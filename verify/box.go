package verify

import (
	"crypto/sha256"
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:        "box",
		Scheme:      "hmac-sha256",
		Description: "Box: BOX-SIGNATURE-PRIMARY/-SECONDARY base64 over {body}{BOX-DELIVERY-TIMESTAMP}; secrets are the primary and secondary keys",
		Headers:     []string{boxPrimary, boxSecondary, boxTimestamp, boxVersion, boxAlgorithm},
		Tolerance:   10 * time.Minute,
		EventID:     "header:BOX-DELIVERY-ID",
		EventType:   []string{"trigger"},
		New:         newWith(newBox),
		Sign:        signWith(newBox),
	})
}

const (
	boxPrimary   = "Box-Signature-Primary"
	boxSecondary = "Box-Signature-Secondary"
	boxTimestamp = "Box-Delivery-Timestamp"
	boxVersion   = "Box-Signature-Version"
	boxAlgorithm = "Box-Signature-Algorithm"
)

// boxVerifier checks Box webhooks v2: base64 HMAC-SHA256 over the body
// followed by the delivery timestamp, sent once per key Box holds (primary
// and secondary). Each signature header is compared with every configured
// key, so keys can be rotated on either side in any order. It is safe for
// concurrent use.
type boxVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*boxVerifier)(nil)

func newBox(o Options) (*boxVerifier, error) {
	return &boxVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. As Box's SDKs do, it requires
// BOX-SIGNATURE-VERSION 1 and BOX-SIGNATURE-ALGORITHM HmacSHA256, and
// rejects timestamps more than the tolerance away in either direction. A
// signature header that does not decode is ignored when the other one
// does.
func (v *boxVerifier) Verify(r *Request, now time.Time) (Result, error) {
	for _, h := range [...]struct{ name, want string }{{boxVersion, "1"}, {boxAlgorithm, "HmacSHA256"}} {
		switch got := r.Header.Get(h.name); got {
		case h.want:
		case "":
			return Result{}, fmt.Errorf("header %s: %w", h.name, ErrNoSignature)
		default:
			return Result{}, fmt.Errorf("header %s: %q is not %s: %w", h.name, truncate(got), h.want, ErrMalformed)
		}
	}
	p, s := r.Header.Get(boxPrimary), r.Header.Get(boxSecondary)
	if p == "" && s == "" {
		return Result{}, fmt.Errorf("header %s: %w", boxPrimary, ErrNoSignature)
	}
	ts, err := requireHeader(r, boxTimestamp)
	if err != nil {
		return Result{}, err
	}
	t, err := stampRFC3339.read("header", boxTimestamp, ts)
	if err != nil {
		return Result{}, err
	}
	var sigs sigList
	for _, sig := range [...]string{p, s} {
		if sig != "" {
			sigs.add(sig, encBase64)
		}
	}
	if sigs.n == 0 {
		return Result{}, fmt.Errorf("header %s: no base64 SHA-256 MAC in %s or %s: %w", boxPrimary, boxPrimary, boxSecondary, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		writeBox(st, r.Body, ts)
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: neither signature matches any of %d secrets: %w", boxPrimary, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", boxTimestamp, ts, t, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i}, nil
}

// writeBox feeds st the signed content: the body, then the timestamp.
func writeBox(st *macState, body []byte, ts string) {
	st.h.Write(body)
	st.write(ts)
}

// sign sets Box's headers on r: the primary signature with the first
// secret and, when a second is configured, the secondary with it.
func (v *boxVerifier) sign(r *Request, now time.Time) error {
	ts := now.UTC().Format(time.RFC3339)
	r.Header.Set(boxTimestamp, ts)
	r.Header.Set(boxVersion, "1")
	r.Header.Set(boxAlgorithm, "HmacSHA256")
	for i, h := range []string{boxPrimary, boxSecondary}[:min(2, len(v.macs.pools))] {
		r.Header.Set(h, v.macs.mac(i, encBase64, func(st *macState) { writeBox(st, r.Body, ts) }))
	}
	return nil
}
