package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:        "msgraph",
		Aliases:     []string{"microsoft-graph"},
		Scheme:      "token",
		Description: "Microsoft Graph change notifications: the clientState of every notification in the body must equal a secret, body not signed; ?validationToken= echoed",
		// A delivery batches notifications and carries no delivery ID:
		// the body's SHA-256 identifies it. A lifecycle notification has
		// lifecycleEvent in place of changeType.
		EventType:    []string{"value.0.changeType", "value.0.lifecycleEvent"},
		Handshake:    "subscription creation (and lifecycle URL) validation: a POST with ?validationToken=...; answered 200 text/plain with the decoded token",
		BodyUnsigned: true,
		New:          newWith(newMSGraph),
		Sign:         signWith(newMSGraph),
	})
}

// msGraphVerifier checks Microsoft Graph change notifications: the body is
// {"value":[...]}, and each notification (change or lifecycle) carries the
// clientState given when the subscription was created, which must equal
// one of the secrets. Nothing is signed: the clientState proves only that
// the sender knows it. Rich notifications' validationTokens (JWTs, sent
// when the subscription includes resource data) are not checked. It is
// safe for concurrent use.
type msGraphVerifier struct {
	sums  [][32]byte // SHA-256 of each secret
	first string
}

var _ Verifier = (*msGraphVerifier)(nil)

func newMSGraph(o Options) (*msGraphVerifier, error) {
	v := &msGraphVerifier{sums: secretSums(o.Secrets)}
	if len(o.Secrets) > 0 {
		v.first = o.Secrets[0]
	}
	return v, nil
}

// Verify implements Verifier. A request whose URL has a validationToken
// query parameter is the endpoint validation: the token is answered as
// text/plain, unchecked (Graph sends no clientState with it, and the answer
// only echoes it). Any other request must be a notification collection
// whose every item's clientState matches a secret (each may match another
// one, for a batch of subscriptions mid-rotation); SecretIndex is the
// first item's.
func (v *msGraphVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if queryValue(r.URL, "validationToken") != "" {
		return challengeEcho(r, "validationToken")
	}
	first, n := -1, 0
	var missing, mismatch int
	rd := jsonReader{b: r.Body}
	err := rd.object(func(key []byte) (bool, error) {
		if string(key) != "value" {
			return false, nil
		}
		return true, rd.array(func(int) error {
			n++
			found := false
			err := rd.object(func(k []byte) (bool, error) {
				if string(k) != "clientState" {
					return false, nil
				}
				found = true
				s, err := rd.scalar()
				if err != nil {
					return true, err
				}
				if s == "" {
					missing++
					return true, nil
				}
				i := matchSecret(v.sums, []byte(s))
				switch {
				case i < 0:
					mismatch++
				case first < 0:
					first = i
				}
				return true, nil
			})
			if !found {
				missing++
			}
			return err
		})
	})
	if err == nil {
		err = rd.end()
	}
	switch {
	case err != nil:
		return Result{}, fmt.Errorf("notification body: %v: %w", err, ErrMalformed)
	case n == 0:
		return Result{}, fmt.Errorf("notification body: no notification in value: %w", ErrMalformed)
	case missing > 0:
		return Result{}, fmt.Errorf("notification body: %d of %d notifications without clientState: %w", missing, n, ErrNoSignature)
	case mismatch > 0:
		return Result{}, fmt.Errorf("notification body: clientState of %d of %d notifications matches none of %d secrets: %w", mismatch, n, len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: first}, nil
}

// sign sets the clientState of every notification of the body to the
// first secret. The body must be a notification collection.
func (v *msGraphVerifier) sign(r *Request, _ time.Time) error {
	var top map[string]json.RawMessage
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &top); err != nil {
		return fmt.Errorf("msgraph signs a body {\"value\":[...]}: %v: %w", err, ErrMalformed)
	}
	if err := json.Unmarshal(top["value"], &items); err != nil || len(items) == 0 {
		return fmt.Errorf("msgraph signs a body {\"value\":[...]} with notifications: %w", ErrMalformed)
	}
	cs, _ := json.Marshal(v.first)
	for _, it := range items {
		it["clientState"] = cs
	}
	top["value"] = marshalPlain(items)
	r.Body = marshalPlain(top)
	return nil
}

// marshalPlain is json.Marshal without HTML escaping, of a value that
// cannot fail to encode (maps of raw JSON already parsed).
func marshalPlain(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
