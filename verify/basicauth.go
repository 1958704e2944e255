package verify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "basic-auth",
		Scheme:      "basic-auth",
		Description: "HTTP Basic auth: Authorization user:pass compared in constant time, body not signed",
		Headers:     []string{"Authorization"},
		// No event ID source: the body's hash identifies events.
		BodyUnsigned: true,
		New:          newWith(newBasicAuth),
		Sign:         signBasicAuth,
	})
	register(Preset{
		Name:   "postmark",
		Scheme: "basic-auth",
		Description: "Postmark: webhooks are not signed; HTTP Basic auth credentials put in the webhook URL " +
			"(https://user:pass@host/path) arrive as Authorization user:pass, compared in constant time; body not signed",
		Headers: []string{"Authorization"},
		// postmarkapp.com/developer/webhooks/webhooks-overview: "Protecting
		// your webhook": basic HTTP authentication in the URL, or a
		// firewall allowing Postmark's IPs (an edge allowlist here).
		//
		// Postmark's MessageID is shared by a message's Delivery, Open,
		// Click, Bounce and SpamComplaint events, and an Open or Click can
		// repeat: no field names one event, so events are identified by
		// the body's hash, which a retry repeats. RecordType is the event
		// type (Delivery, Bounce, SpamComplaint, Open, Click,
		// SubscriptionChange); an inbound email's post has none. Each type
		// has its own time field (DeliveredAt, BouncedAt, ReceivedAt,
		// ChangedAt), so there is no CreatedAt.
		EventType:    []string{"RecordType"},
		BodyUnsigned: true,
		New:          newWith(newBasicAuth),
		Sign:         signBasicAuth,
	})
}

// signBasicAuth sets Authorization to Basic credentials o.Secrets[0].
func signBasicAuth(r *Request, o Options, _ time.Time) error {
	if _, err := newBasicAuth(o); err != nil {
		return err
	}
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(o.Secrets[0])))
	return nil
}

// basicAuthVerifier checks an "Authorization: Basic" header against
// secrets written "user:pass". Like a token, it does not sign the body. It
// is safe for concurrent use.
type basicAuthVerifier struct {
	sums [][32]byte // SHA-256 of each "user:pass"
}

var _ Verifier = (*basicAuthVerifier)(nil)

func newBasicAuth(o Options) (*basicAuthVerifier, error) {
	for i, s := range o.Secrets {
		if !strings.Contains(s, ":") {
			return nil, secretErr("basic-auth", i, "is not user:pass")
		}
	}
	return &basicAuthVerifier{sums: secretSums(o.Secrets)}, nil
}

// Verify implements Verifier. The scheme name is case-insensitive (RFC
// 9110); the credentials are standard base64 and compared whole, user and
// password together, in constant time.
func (v *basicAuthVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	const hdr = "Authorization"
	s, err := requireHeader(r, hdr)
	if err != nil {
		return Result{}, err
	}
	scheme, cred, ok := strings.Cut(s, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return Result{}, fmt.Errorf("header %s: not Basic credentials: %w", hdr, ErrMalformed)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimLeft(cred, " "))
	if err != nil || bytes.IndexByte(raw, ':') < 0 {
		return Result{}, fmt.Errorf("header %s: credentials are not base64 of user:pass: %w", hdr, ErrMalformed)
	}
	i := matchSecret(v.sums, raw)
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: credentials match none of %d secrets: %w", hdr, len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}
