package verify

import (
	"crypto/hmac"
	"crypto/sha1"
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:        "mandrill",
		Aliases:     []string{"mailchimp-transactional"},
		Scheme:      "hmac-sha1",
		Description: "Mandrill (Mailchimp Transactional): X-Mandrill-Signature base64 HMAC-SHA1 over the webhook URL plus sorted form params, webhook key raw (the setup check is signed with the key test-webhook: add it as a second secret while creating the webhook)",
		Headers:     []string{mandrillHeader},
		// The body is a form (mandrill_events=<JSON array of up to 1000
		// events>), which JSON paths cannot read: the SHA-256 of what is
		// signed (the URL and the decoded, sorted parameters) identifies
		// a delivery, however the form is encoded.
		Options: []string{"public_url"},
		New:     newWith(newMandrill),
		Sign:    signWith(newMandrill),
	})
}

const mandrillHeader = "X-Mandrill-Signature"

// mandrillVerifier checks Mandrill's scheme: base64 HMAC-SHA1, keyed with
// the webhook's key, over the webhook URL exactly as configured in Mandrill
// followed by each POST parameter's name and value, sorted by name, without
// separators. It is Twilio's construction without Twilio's port variants
// and JSON bodies, and shares its parameter encoding (twilioParams).
//
// Mandrill checks a new webhook URL with an unsigned HEAD request, which is
// not answered here; it then falls back to a POST with an empty
// mandrill_events signed with the key "test-webhook", which verifies when
// that key is configured as a secret while the webhook is added.
type mandrillVerifier struct{ urlMACs }

var _ Verifier = (*mandrillVerifier)(nil)

func newMandrill(o Options) (*mandrillVerifier, error) {
	u, err := newURLMACs("mandrill", o, sha1.New)
	if err != nil {
		return nil, err
	}
	return &mandrillVerifier{u}, nil
}

// Verify implements Verifier. Nothing is timed.
func (v *mandrillVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, mandrillHeader)
	if err != nil {
		return Result{}, err
	}
	var sig [sha1.Size]byte
	if err := readMAC(sig[:], mandrillHeader, s, "", encBase64); err != nil {
		return Result{}, err
	}
	u, err := checkedURL(r, v.base, mandrillHeader)
	if err != nil {
		return Result{}, err
	}
	params, err := twilioParams(r.Body)
	if err != nil {
		return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		writeTwilio(st, u, params)
		return hmac.Equal(st.sum(), sig[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature over %s matches none of %d secrets: %w", mandrillHeader, quoteURL(u), len(v.macs.pools), ErrMismatch)
	}
	return Result{SecretIndex: i, ID: signedID(u, string(params))}, nil
}

// sign signs r as Mandrill does; its body must be a form.
func (v *mandrillVerifier) sign(r *Request, _ time.Time) error {
	u, err := signingURL(r, v.base, "mandrill")
	if err != nil {
		return err
	}
	params, err := twilioParams(r.Body)
	if err != nil {
		return fmt.Errorf("mandrill: body is not form-encoded: %v: %w", err, ErrConfig)
	}
	r.Header.Set(mandrillHeader, v.macs.mac(0, encBase64, func(st *macState) { writeTwilio(st, u, params) }))
	return nil
}
