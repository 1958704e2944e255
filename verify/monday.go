package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func init() {
	register(Preset{
		Name:   "monday",
		Scheme: "jwt-hs256",
		Description: "monday.com (webhooks created by an app): Authorization HS256 JWT keyed with the app's Signing Secret raw, exp required, " +
			"iat at most 5 min off, aud checked when audience is set; body NOT signed; answers the {\"challenge\"} URL verification",
		Headers: []string{mondayHeader},
		// The token's iat and exp are its window: exp is required and
		// checked (with a minute of leeway), and iat, when present, must be
		// within the tolerance.
		Tolerance: 5 * time.Minute,
		// developer.monday.com/api-reference/docs/webhooks: every event is
		// {"event": {"type": "create_pulse", "triggerUuid": ...,
		// "triggerTime": "2021-10-11T09:07:28.210Z", "boardId": ...,
		// "pulseId": ..., "subscriptionId": ..., ...}}; triggerUuid names
		// the trigger (a retry repeats it).
		EventID:      "event.triggerUuid",
		EventType:    []string{"event.type"},
		CreatedAt:    "event.triggerTime",
		Options:      []string{"audience"},
		BodyUnsigned: true,
		Handshake:    `URL verification: a POST {"challenge": "..."} is answered 200 with the same JSON {"challenge": "..."} (its JWT checked when it has one) and not recorded`,
		New:          newWith(newMonday),
		Sign:         signMonday,
	})
}

const mondayHeader = "Authorization"

// mondayVerifier checks monday.com's webhooks, per
// developer.monday.com/apps/docs/authorization-header: the Authorization
// header holds a JWT (no "Bearer " prefix; one is accepted) signed with
// HS256 and the app's Signing Secret ("App lifecycle webhooks: signed
// using your app's Client Secret"; configure that one for those), whose
// exp must not have passed and whose aud is the endpoint's URL. The token
// does not cover the body. Webhooks created with a personal API token
// carry no JWT at all, and fail with ErrNoSignature: only their URL
// verification is answered. It is safe for concurrent use.
type mondayVerifier struct {
	check *jwtCheck
	tol   time.Duration
}

var _ Verifier = (*mondayVerifier)(nil)

func newMonday(o Options) (*mondayVerifier, error) {
	ks, err := newJWTKeys("monday", o, []string{"HS256"}, "", rawHMACKey)
	if err != nil {
		return nil, err
	}
	opts := []jwt.ParserOption{jwt.WithExpirationRequired()}
	if len(o.Audience) > 0 {
		opts = append(opts, jwt.WithAudience(o.Audience...))
	}
	return &mondayVerifier{check: newJWTCheck("header "+mondayHeader, []string{"HS256"}, ks, opts...), tol: o.Tolerance}, nil
}

// Verify implements Verifier. A body {"challenge": "..."} without an
// event is the URL verification, answered with the same JSON: verified
// like an event when it carries a JWT, answered without one otherwise
// (monday.com sends it when a webhook is created, signed or not; the
// answer echoes what the request holds and nothing is recorded).
func (v *mondayVerifier) Verify(r *Request, now time.Time) (Result, error) {
	challenge, err := mondayChallenge(r.Body)
	if err != nil {
		return Result{}, err
	}
	if challenge != nil && r.Header.Get(mondayHeader) == "" {
		return handshake(challenge), nil
	}
	tok, err := bearerToken(r, mondayHeader)
	if err != nil {
		return Result{}, err
	}
	var c jwt.RegisteredClaims
	k, err := v.check.parse(tok, &c, now)
	if err != nil {
		return Result{}, err
	}
	if err := checkIssuedAt(mondayHeader, &c, now, v.tol, false); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: k.index, Response: challenge}, nil
}

// mondayChallenge returns the answer to a URL verification body, or nil
// for any other body: an object with a string challenge and no event. A
// body that mentions "challenge" but is not JSON is not one; a challenge
// that is not a non-empty string is ErrMalformed.
func mondayChallenge(body []byte) (*Response, error) {
	var m struct {
		Challenge json.RawMessage `json:"challenge"`
		Event     json.RawMessage `json:"event"`
	}
	if !decodeMarked(body, `"challenge"`, &m) || m.Challenge == nil || m.Event != nil {
		return nil, nil
	}
	var s string
	if json.Unmarshal(m.Challenge, &s) != nil || s == "" {
		return nil, fmt.Errorf("body: challenge is not a non-empty string: %w", ErrMalformed)
	}
	if len(s) > maxChallenge {
		// Answered without a token: it must not reflect what anyone sends.
		return nil, fmt.Errorf("body: challenge: %d bytes, at most %d: %w", len(s), maxChallenge, ErrMalformed)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Challenge string `json:"challenge"`
	}{s})
	return &Response{ContentType: "application/json", Body: bytes.TrimRight(b.Bytes(), "\n")}, nil
}

// signMonday sets Authorization to a token as monday.com sends: HS256
// with o.Secrets[0], iat now, exp five minutes later, aud the first
// audience when one is set, and an account and user ID.
func signMonday(r *Request, o Options, now time.Time) error {
	if _, err := newMonday(o); err != nil {
		return err
	}
	claims := jwt.MapClaims{"accountId": 1825528, "userId": 4012689, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
	if len(o.Audience) > 0 {
		claims["aud"] = o.Audience[0]
	}
	tok, err := signToken("HS256", []byte(o.Secrets[0]), "", claims)
	if err != nil {
		return err
	}
	r.Header.Set(mondayHeader, tok)
	return nil
}
