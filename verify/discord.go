package verify

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func init() {
	register(Preset{
		Name:    "discord-ed25519",
		Aliases: []string{"discord"},
		Scheme:  "ed25519",
		Description: "Discord interactions and webhook events: X-Signature-Ed25519 hex Ed25519 over {X-Signature-Timestamp}{body}; " +
			"public key hex; answers PINGs; Sign takes the hex 32-byte seed or 64-byte private key",
		Headers: []string{discordSigHeader, discordTSHeader},
		// Discord documents no window; it delivers at once (an interaction
		// must be answered within 3 s), so 5 minutes only absorbs skew.
		Tolerance: 5 * time.Minute,
		EventID:   "id",
		EventType: []string{"type", "event.type"},
		New:       newWith(newDiscord),
		Sign:      signDiscord,
	})
}

const (
	discordSigHeader = "X-Signature-Ed25519"
	discordTSHeader  = "X-Signature-Timestamp"
)

// discordVerifier checks Discord's scheme: Ed25519 over timestamp + body
// with the application's public key, both in hex.
type discordVerifier struct {
	keys []ed25519.PublicKey
	tol  time.Duration
}

var _ Verifier = (*discordVerifier)(nil)

func newDiscord(o Options) (*discordVerifier, error) {
	keys, err := parseSecrets("discord-ed25519", o.Secrets, parseEd25519Public)
	if err != nil {
		return nil, err
	}
	return &discordVerifier{keys: keys, tol: o.Tolerance}, nil
}

// Verify implements Verifier. Discord sends invalid signatures on purpose
// to test an endpoint; they get ErrMismatch. A verified PING is a handshake:
// an interactions PING (type 1, no event) is answered {"type":1}, a webhook
// events PING (type 0) with 204 No Content.
func (v *discordVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, t, at, err := readStamped(r, discordSigHeader, discordTSHeader, stampSeconds)
	if err != nil {
		return Result{}, err
	}
	var sig [ed25519.SignatureSize]byte
	if !decodeMAC(sig[:], s, encHex) {
		return Result{}, fmt.Errorf("header %s: not a hex Ed25519 signature: %w", discordSigHeader, ErrMalformed)
	}
	buf := getMsgBuf()
	defer putMsgBuf(buf)
	msg := append(append(*buf, t...), r.Body...)
	*buf = msg
	i, ok := ed25519Verify(v.keys, msg, sig[:])
	if !ok {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d keys: %w", discordSigHeader, len(v.keys), ErrMismatch)
	}
	if err := checkWindow("header", discordTSHeader, t, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i, Response: discordHandshake(r.Body)}, nil
}

// discordHandshake returns the answer to a PING, or nil for anything else.
// Interactions and webhook events share the endpoint scheme but not the
// numbering: interaction type 1 is PING, while webhook event type 1 is a
// real event, recognised by its "event" member, and type 0 is its PING.
func discordHandshake(body []byte) *Response {
	var b struct {
		Type  json.RawMessage `json:"type"`
		Event json.RawMessage `json:"event"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	switch string(b.Type) {
	case "1":
		if len(b.Event) == 0 {
			return &Response{ContentType: "application/json", Body: []byte(`{"type":1}`)}
		}
	case "0":
		return &Response{Status: http.StatusNoContent}
	}
	return nil
}

// signDiscord sets Discord's headers, signing with the private key in
// o.Secrets[0].
func signDiscord(r *Request, o Options, now time.Time) error {
	pk, err := parseEd25519Private(o.Secrets[0])
	if err != nil {
		return secretErr("discord-ed25519", 0, "%v", err)
	}
	t := strconv.FormatInt(now.Unix(), 10)
	r.Header.Set(discordTSHeader, t)
	r.Header.Set(discordSigHeader, hex.EncodeToString(ed25519.Sign(pk, append([]byte(t), r.Body...))))
	return nil
}
