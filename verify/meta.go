package verify

import (
	"crypto/sha256"
	"net/http"
	"time"
)

func init() {
	p := bodyMAC{
		name: "meta", aliases: []string{"facebook", "instagram", "whatsapp"},
		header: metaHeader, prefix: "sha256=", hash: sha256.New, enc: encHex,
		desc: "Meta (Facebook, Instagram, WhatsApp): X-Hub-Signature-256 sha256=<hex> over the body, app secret; GET hub.challenge handshake checked against verify_token",
		// Meta sends no delivery ID, and entry IDs are page or account IDs
		// shared by many events: events are identified by the body's hash,
		// which a retry repeats.
		eventType: []string{"object", "entry.0.changes.0.field"},
		options:   []string{"verify_token"},
		methods:   []string{http.MethodGet, http.MethodPost},
		wrap:      newMeta,
	}.preset()
	p.Handshake = "GET hub.mode=subscribe: hub.challenge echoed when hub.verify_token equals the verify_token option"
	register(p)
}

const metaHeader = "X-Hub-Signature-256"

// metaVerifier checks Meta's webhooks: a POST carries GitHub's construction
// keyed with the app secret; a GET is the subscription handshake, answered
// with hub.challenge when hub.verify_token equals Options.VerifyToken. It is
// safe for concurrent use.
type metaVerifier struct {
	hmac        *hmacVerifier
	verifyToken [][32]byte // SHA-256 of the verify token; nil when none is set
}

var _ Verifier = (*metaVerifier)(nil)

// newMeta adds the handshake to h, Meta's signature check.
func newMeta(h *hmacVerifier, o Options) Verifier {
	v := &metaVerifier{hmac: h}
	if o.VerifyToken != "" {
		v.verifyToken = secretSums([]string{o.VerifyToken})
	}
	return v
}

// Verify implements Verifier. A GET is the handshake: it must carry
// hub.mode=subscribe, hub.verify_token and hub.challenge in Request.URL's
// query; a wrong token, or any token when no verify_token is configured, is
// ErrMismatch. Every other method is checked as a signed delivery.
func (v *metaVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method != http.MethodGet {
		return v.hmac.Verify(r, now)
	}
	challenge, err := hubChallenge(r, v.verifyToken)
	if err != nil {
		return Result{}, err
	}
	return handshake(&Response{ContentType: "text/plain; charset=utf-8", Body: []byte(challenge)}), nil
}
