package verify

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:           "mailgun",
		BodyUnsigned:   true,
		IDSourceSigned: true,
		Scheme:         "hmac-sha256",
		Description: "Mailgun: body field signature.signature, hex HMAC over signature.timestamp + signature.token " +
			"(event-data is NOT signed; the token is the event ID, so a replayed signature is a duplicate)",
		Tolerance: 5 * time.Minute,
		// The token is random per signed request, and the signature does not
		// cover event-data: deduplicating on the token is what stops a
		// captured signature from carrying forged event-data within the
		// window, as Mailgun's docs ask ("cache the token"). A retry by
		// Mailgun is signed afresh and so is not deduplicated;
		// event_id: event-data.id trades that protection for it.
		EventID:   "signature.token",
		EventType: []string{"event-data.event"},
		New:       newWith(newMailgun),
		Sign:      signWith(newMailgun),
	})
}

// mailgunVerifier checks Mailgun's webhooks, whose signature is in the JSON
// body: {"signature": {"timestamp", "token", "signature"}, "event-data":
// {...}}, the signature being hex HMAC-SHA256 over timestamp and token
// concatenated, keyed with the HTTP webhook signing key. For a subaccount
// Mailgun adds "parent-signature", made with the primary account's key;
// either matches. It is safe for concurrent use.
type mailgunVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*mailgunVerifier)(nil)

func newMailgun(o Options) (*mailgunVerifier, error) {
	return &mailgunVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// mailgunSignature is the body's signature object.
type mailgunSignature struct {
	timestamp, token, signature, parent string
}

// parseMailgun reads the signature object of a Mailgun body. Values may be
// strings or numbers (the timestamp). A repeated key in the body's object or
// in the signature object is an error: parsers disagree on which one wins,
// and the event ID must be the token that was verified. Its errors are
// plain details for the caller to wrap.
func parseMailgun(body []byte) (mailgunSignature, bool, error) {
	var sig mailgunSignature
	found, err := memberScalars(body, "signature", map[string]*string{
		"timestamp": &sig.timestamp, "token": &sig.token, "signature": &sig.signature, "parent-signature": &sig.parent,
	})
	return sig, found, err
}

// Verify implements Verifier. The signature is checked before the
// timestamp, so ErrTooOld and ErrTooNew mean a genuine but replayed or
// mistimed event.
func (v *mailgunVerifier) Verify(r *Request, now time.Time) (Result, error) {
	sig, found, err := parseMailgun(r.Body)
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	case !found:
		return Result{}, fmt.Errorf("body field signature: %w", ErrNoSignature)
	}
	for _, f := range [...]struct{ name, val string }{{"signature", sig.signature}, {"timestamp", sig.timestamp}, {"token", sig.token}} {
		if f.val == "" {
			return Result{}, fmt.Errorf("body field signature.%s: %w", f.name, ErrNoSignature)
		}
	}
	at, err := stampSeconds.read("body field", "signature.timestamp", sig.timestamp)
	if err != nil {
		return Result{}, err
	}
	var sigs sigList
	for _, s := range [...]string{sig.signature, sig.parent} {
		if s != "" {
			sigs.add(s, encHex)
		}
	}
	if sigs.n == 0 {
		return Result{}, fmt.Errorf("body field signature.signature: not 64 hex digits: %w", ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		st.write(sig.timestamp, sig.token)
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("body field signature.signature: matches none of %d secrets: %w", len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("body field", "signature.timestamp", sig.timestamp, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i}, nil
}

// sign puts a signature object, made with the first secret at time now and
// a fresh 50-character token, into r.Body, which must be empty or a JSON
// object. It is inserted first; one already there is replaced, which
// re-encodes the body with its keys sorted.
func (v *mailgunVerifier) sign(r *Request, now time.Time) error {
	ts := strconv.FormatInt(now.Unix(), 10)
	token := strings.ToLower(rand.Text() + rand.Text())[:50]
	sig := v.macs.mac(0, encHex, func(st *macState) { st.write(ts, token) })
	obj, _ := json.Marshal(map[string]string{"timestamp": ts, "token": token, "signature": sig})

	body, err := setBodyField("mailgun", r.Body, "signature", obj, func(b []byte) (bool, error) {
		_, found, err := parseMailgun(b)
		return found, err
	})
	if err != nil {
		return err
	}
	r.Body = body
	return nil
}
