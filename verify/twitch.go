package verify

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:           "twitch-eventsub",
		IDSourceSigned: true,
		Handshake:      "webhook_callback_verification message, signed like events: the challenge echoed as text/plain",
		Aliases:        []string{"twitch"},
		Scheme:         "hmac-sha256",
		Description:    "Twitch EventSub: Twitch-Eventsub-Message-Signature sha256=<hex> over {id}{timestamp}{body}, RFC 3339 timestamp; webhook_callback_verification challenge answered",
		Headers:        []string{twitchID, twitchTimestamp, twitchSignature, twitchType},
		Tolerance:      10 * time.Minute,
		EventID:        "header:" + twitchID,
		// notification.channel.follow, revocation.channel.follow: a
		// revocation is an event like any other, told apart by its type.
		EventType: []string{"header:" + twitchType, "header:Twitch-Eventsub-Subscription-Type"},
		New:       newWith(newTwitch),
		Sign:      signWith(newTwitch),
	})
}

const (
	twitchID           = "Twitch-Eventsub-Message-Id"
	twitchTimestamp    = "Twitch-Eventsub-Message-Timestamp"
	twitchSignature    = "Twitch-Eventsub-Message-Signature"
	twitchType         = "Twitch-Eventsub-Message-Type"
	twitchVerification = "webhook_callback_verification"
)

// twitchVerifier checks Twitch EventSub: HMAC-SHA256 over message ID,
// timestamp and body, concatenated, keyed with the subscription secret. It
// is safe for concurrent use.
type twitchVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*twitchVerifier)(nil)

func newTwitch(o Options) (*twitchVerifier, error) {
	return &twitchVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. Every message type is signed; a
// webhook_callback_verification is answered with the body's challenge as
// text/plain, and any other type (notification, revocation, types Twitch
// adds later) is an event. The message type header is required because it
// decides between the two.
func (v *twitchVerifier) Verify(r *Request, now time.Time) (Result, error) {
	var vals [4]string
	for i, h := range [...]string{twitchSignature, twitchID, twitchTimestamp, twitchType} {
		var err error
		if vals[i], err = requireHeader(r, h); err != nil {
			return Result{}, err
		}
	}
	sig, id, ts, typ := vals[0], vals[1], vals[2], vals[3]
	t, err := stampRFC3339.read("header", twitchTimestamp, ts)
	if err != nil {
		return Result{}, err
	}
	var mac [sha256.Size]byte
	if digits, ok := cutPrefixFold(sig, "sha256="); !ok || !decodeMAC(mac[:], digits, encHex) {
		return Result{}, fmt.Errorf("header %s: not sha256=<64 hex digits>: %w", twitchSignature, ErrMalformed)
	}
	i := v.macs.find(func(st *macState) bool {
		writeTwitch(st, id, ts, r.Body)
		return hmac.Equal(st.sum(), mac[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", twitchSignature, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", twitchTimestamp, ts, t, now, v.tol); err != nil {
		return Result{}, err
	}
	if typ != twitchVerification {
		return Result{SecretIndex: i}, nil
	}
	var body struct {
		Challenge *string `json:"challenge"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Challenge == nil || *body.Challenge == "" {
		return Result{}, fmt.Errorf("body field challenge: a %s without a challenge: %w", twitchVerification, ErrMalformed)
	}
	return Result{SecretIndex: i, Response: &Response{ContentType: "text/plain; charset=utf-8", Body: []byte(*body.Challenge)}}, nil
}

// writeTwitch feeds st the signed content: id, timestamp and body,
// concatenated.
func writeTwitch(st *macState, id, ts string, body []byte) {
	st.write(id, ts)
	st.h.Write(body)
}

// sign sets the message headers on r as Twitch sends them, keeping a
// message ID and type that r already carries; the type defaults to
// notification.
func (v *twitchVerifier) sign(r *Request, now time.Time) error {
	id := r.Header.Get(twitchID)
	if id == "" {
		id = strings.ToLower(rand.Text())
		r.Header.Set(twitchID, id)
	}
	if r.Header.Get(twitchType) == "" {
		r.Header.Set(twitchType, "notification")
	}
	ts := now.UTC().Format(time.RFC3339Nano)
	r.Header.Set(twitchTimestamp, ts)
	r.Header.Set(twitchSignature, "sha256="+v.macs.mac(0, encHex, func(st *macState) { writeTwitch(st, id, ts, r.Body) }))
	return nil
}
