package verify

import (
	"encoding/json"
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:         "figma",
		BodyUnsigned: true,
		Scheme:       "token",
		Description: "Figma webhooks V2: body field passcode equal to the passcode set when the webhook was created, " +
			"compared in constant time; nothing is signed, and the passcode stays in the body forwarded to consumers",
		// No event ID: Figma's payloads carry none (webhook_id is the
		// webhook), so the body's SHA-256 identifies the event.
		EventType: []string{"event_type"},
		CreatedAt: "timestamp",
		New:       newWith(newFigma),
		Sign:      signWith(newFigma),
	})
}

// figmaVerifier checks Figma's passcode: the top-level body field passcode
// must equal one of the secrets. Like a token header it proves only that the
// sender knows the passcode: the rest of the body is not signed and the
// timestamp field is not checked, so a captured request can be replayed (and
// is then a duplicate of the same body). It is safe for concurrent use.
type figmaVerifier struct {
	sums  [][32]byte // SHA-256 of each secret
	first string     // the passcode sign writes
}

var _ Verifier = (*figmaVerifier)(nil)

func newFigma(o Options) (*figmaVerifier, error) {
	v := &figmaVerifier{sums: secretSums(o.Secrets)}
	if len(o.Secrets) > 0 {
		v.first = o.Secrets[0]
	}
	return v, nil
}

// figmaPasscode returns the body's top-level passcode field and whether it
// is there; the body must be one JSON object without the field twice.
func figmaPasscode(body []byte) (string, bool, error) {
	var pass string
	found := false
	r := jsonReader{b: body}
	err := r.object(func(key []byte) (bool, error) {
		if string(key) != "passcode" {
			return false, nil
		}
		found = true
		if c := r.peek(); c != '"' {
			return true, r.errorf("%s where the passcode string was expected", jsonKind(c))
		}
		var err error
		pass, err = r.scalar()
		return true, err
	})
	if err == nil {
		err = r.end()
	}
	return pass, found, err
}

// Verify implements Verifier.
func (v *figmaVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	pass, found, err := figmaPasscode(r.Body)
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	case !found || pass == "":
		return Result{}, fmt.Errorf("body field passcode: %w", ErrNoSignature)
	}
	i := matchSecret(v.sums, []byte(pass))
	if i < 0 {
		return Result{}, fmt.Errorf("body field passcode: matches none of %d secrets: %w", len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// sign sets the body's passcode field to the first secret: a new first
// member, or the existing field replaced.
func (v *figmaVerifier) sign(r *Request, _ time.Time) error {
	pass, _ := json.Marshal(v.first)
	body, err := setBodyField("figma", r.Body, "passcode", pass, func(b []byte) (bool, error) {
		_, found, err := figmaPasscode(b)
		return found, err
	})
	if err != nil {
		return err
	}
	r.Body = body
	return nil
}
