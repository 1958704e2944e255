package verify

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "ringcentral",
		Scheme:      "token",
		Description: "RingCentral: Verification-Token header equal to the subscription's verificationToken, body not signed; Validation-Token handshake echoed",
		Headers:     []string{ringCentralTokenHeader, ringCentralValidationHeader},
		EventID:     "uuid",
		// The event is an API path holding account and extension IDs
		// ("/restapi/v1.0/account/37439510/extension/2253168021/message-store"):
		// Verify reports its filter form as the type (see ringCentralType).
		EventType: []string{"event"},
		CreatedAt: "timestamp",
		Handshake: "subscription creation sends a request with a Validation-Token header: answered 200 with the same Validation-Token header and no body",
		// The token is a shared value in a header: it proves the sender
		// knows it, not what the body says.
		BodyUnsigned: true,
		// RingCentral's webhook requirements ask for a 200 (and an
		// answer of at most 1024 bytes, headers included); errors
		// blacklist the subscription.
		Success: &Response{Status: http.StatusOK},
		New:     newWith(newRingCentral),
		Sign:    signWith(newRingCentral),
	})
}

const (
	ringCentralTokenHeader      = "Verification-Token"
	ringCentralValidationHeader = "Validation-Token"
)

// ringCentralVerifier checks a RingCentral webhook: every notification
// carries in Verification-Token the deliveryMode.verificationToken the
// subscription was created with (the token scheme, no prefix); nothing is
// signed. The request that validates a new subscription carries a
// Validation-Token header, which must come back in the answer's header.
type ringCentralVerifier struct{ *tokenVerifier }

var _ Verifier = (*ringCentralVerifier)(nil)

func newRingCentral(o Options) (*ringCentralVerifier, error) {
	t, err := newToken("ringcentral", ringCentralTokenHeader, "", o.Secrets)
	if err != nil {
		return nil, err
	}
	return &ringCentralVerifier{t}, nil
}

// Verify implements Verifier. A request with a Validation-Token header is
// the subscription's validation: it is answered without a token check, as
// the answer only echoes what was sent and nothing is recorded, and a
// subscription validated so by someone else delivers nothing that passes
// the token check.
func (v *ringCentralVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if c := r.Header.Get(ringCentralValidationHeader); c != "" {
		if err := echoableToken(ringCentralValidationHeader, c); err != nil {
			return Result{}, err
		}
		return handshake(&Response{Status: http.StatusOK, Header: http.Header{ringCentralValidationHeader: {c}}}), nil
	}
	res, err := v.tokenVerifier.Verify(r, now)
	if err != nil {
		return res, err
	}
	rd := jsonReader{b: r.Body}
	var event string
	if rd.object(func(key []byte) (bool, error) {
		if string(key) != "event" {
			return false, nil
		}
		var err error
		event, err = rd.scalar()
		return true, err
	}) == nil {
		res.Type = ringCentralType(event)
	}
	return res, nil
}

// ringCentralType turns a notification's event path into its type: the
// path without the API prefix (/restapi/v1.0/) and query, the ID after
// account or extension written "~" as in event filters, and "." between
// the segments: "/restapi/v1.0/account/37439510/extension/2253168021/
// message-store?type=SMS" is "account.~.extension.~.message-store". Other
// paths are kept, their slashes made dots.
func ringCentralType(event string) string {
	path, _, _ := strings.Cut(event, "?")
	path = strings.TrimPrefix(path, "/")
	if rest, ok := strings.CutPrefix(path, "restapi/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			path = after // the version segment
		}
	}
	segs := strings.Split(path, "/")
	for i := 1; i < len(segs); i++ {
		if segs[i-1] == "account" || segs[i-1] == "extension" {
			segs[i] = "~"
		}
	}
	return strings.Join(segs, ".")
}

// echoableToken checks a value that a handshake echoes in a response
// header: at most maxChallenge bytes of visible ASCII, so that it cannot
// split the header or reflect much.
func echoableToken(name, s string) error {
	if len(s) > maxChallenge {
		return fmt.Errorf("%s: %d bytes, at most %d: %w", name, len(s), maxChallenge, ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%s: a byte 0x%02x that is not visible ASCII: %w", name, s[i], ErrMalformed)
		}
	}
	return nil
}
