package verify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "braintree",
		Scheme: "hmac-sha1",
		Description: "Braintree: form post bt_signature <public key>|<hex HMAC-SHA1 of bt_payload keyed with SHA-1 of the private key> " +
			"(pairs joined by &), bt_payload base64 XML; secret <public_key>:<private_key>; type from the XML's kind",
		// Braintree sends no notification ID, and a retry repeats the
		// body: its SHA-256 identifies a delivery. The type is the
		// notification's kind, which the verifier reads from the signed
		// XML and hands on as {"kind": ..., "timestamp": ...} (Result.Payload).
		EventType: []string{"kind"},
		Methods:   []string{http.MethodGet, http.MethodPost},
		Handshake: "GET ?bt_challenge=<hex> when the webhook is created: answered <public key>|<hex HMAC-SHA1 of the challenge> " +
			"with the first key pair in use, in text/plain",
		New:  newWith(newBraintree),
		Sign: signWith(newBraintree),
	})
}

const (
	braintreeSigField     = "bt_signature"
	braintreePayloadField = "bt_payload"
	braintreeChallenge    = "bt_challenge"
)

// braintreeVerifier checks Braintree's webhooks, as the SDKs'
// WebhookNotificationGateway.parse does: the form body's bt_signature holds
// "public_key|signature" pairs joined by "&"; the pair of a configured
// public key must hold the hex HMAC-SHA1 of bt_payload (or of bt_payload
// followed by a newline, which some clients drop), keyed with the SHA-1
// digest of that key's private key. bt_payload is base64 of the
// notification's XML. Nothing is timed. A GET with bt_challenge is the
// destination check of a new webhook, answered as the SDKs' verify does.
// It is safe for concurrent use.
type braintreeVerifier struct {
	public []string // public key of each secret
	macs   *macSet  // HMAC-SHA1 keyed with SHA-1 of each private key
}

var _ Verifier = (*braintreeVerifier)(nil)

// braintreeKeyPair splits a secret "<public_key>:<private_key>". Its errors
// do not quote the secret.
func braintreeKeyPair(s string) ([2]string, error) {
	pub, priv, ok := strings.Cut(s, ":")
	if !ok || pub == "" || priv == "" {
		return [2]string{}, errors.New("is not <public_key>:<private_key> (the API key pair of the Braintree control panel)")
	}
	return [2]string{pub, priv}, nil
}

func newBraintree(o Options) (*braintreeVerifier, error) {
	pairs, err := parseSecrets("braintree", o.Secrets, braintreeKeyPair)
	if err != nil {
		return nil, err
	}
	v := &braintreeVerifier{public: make([]string, len(pairs))}
	keys := make([][]byte, len(pairs))
	for i, p := range pairs {
		sum := sha1.Sum([]byte(p[1]))
		v.public[i], keys[i] = p[0], sum[:]
	}
	v.macs = newMACSet(keys, sha1.New)
	return v, nil
}

// Verify implements Verifier.
func (v *braintreeVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	if r.Method == http.MethodGet {
		return v.challenge(r)
	}
	sig, ok, err := formValueOnce(r.Body, braintreeSigField)
	if err != nil {
		return Result{}, err
	}
	if !ok || sig == "" {
		return Result{}, fmt.Errorf("form field %s: %w", braintreeSigField, ErrNoSignature)
	}
	payload, ok, err := formValueOnce(r.Body, braintreePayloadField)
	if err != nil {
		return Result{}, err
	}
	if !ok {
		return Result{}, fmt.Errorf("form field %s: %w", braintreePayloadField, ErrNoSignature)
	}
	if i := strings.IndexFunc(payload, func(c rune) bool { return !braintreePayloadChar(c) }); i >= 0 {
		return Result{}, fmt.Errorf("form field %s: character %q is not base64: %w", braintreePayloadField, payload[i], ErrMalformed)
	}
	if braintreeChallengeText(strings.TrimSuffix(payload, "\n")) {
		// What the GET check answers for anyone: a signature over it
		// proves nothing.
		return Result{}, fmt.Errorf("form field %s: a challenge, not a notification: %w", braintreePayloadField, ErrMalformed)
	}
	i := -1
	for k := range v.public {
		st := v.macs.get(k)
		ok := v.matches(st, v.public[k], sig, payload)
		v.macs.put(k, st)
		if ok {
			i = k
			break
		}
	}
	if i < 0 {
		return Result{}, fmt.Errorf("form field %s: no signature of a configured public key matches (%d key pairs): %w", braintreeSigField, len(v.public), ErrMismatch)
	}
	// The ID is the hash of what the signature covers (the payload, its
	// line breaks aside): two notifications of one kind in one second
	// differ, and a form encoded again is the same event.
	sum := sha256.Sum256([]byte(strings.ReplaceAll(payload, "\n", "")))
	return Result{SecretIndex: i, ID: "sha256:" + hex.EncodeToString(sum[:]), Payload: braintreeFields(payload)}, nil
}

// matches reports whether a pair of sig for public key pub holds the MAC
// that st, keyed with its private key, computes of payload (or of payload
// and a newline).
func (v *braintreeVerifier) matches(st *macState, pub, sig, payload string) bool {
	var want [sha1.Size]byte
	for rest := sig; rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		p, s, ok := strings.Cut(pair, "|")
		if !ok || p != pub || !decodeMAC(want[:], s, encHex) {
			continue
		}
		for _, suffix := range [...]string{"", "\n"} {
			st.reset()
			st.write(payload, suffix)
			if hmac.Equal(st.sum(), want[:]) {
				return true
			}
		}
	}
	return false
}

// challenge answers the destination check: GET ?bt_challenge=<20 to 32
// lowercase hex digits>, answered "<public key>|<hex HMAC-SHA1 of the
// challenge>" with the first key pair (the first in use, see
// Options.NotAfter). Only challenges of that form are answered, as the
// SDKs do: no notification payload is one (Verify refuses a payload that
// is), so the answer signs nothing that could be posted.
func (v *braintreeVerifier) challenge(r *Request) (Result, error) {
	c := queryValue(r.URL, braintreeChallenge)
	switch {
	case c == "":
		return Result{}, fmt.Errorf("GET without query parameter %s: %w", braintreeChallenge, ErrNoSignature)
	case !braintreeChallengeText(c):
		return Result{}, fmt.Errorf("query parameter %s: not 20 to 32 lowercase hex digits: %w", braintreeChallenge, ErrMalformed)
	}
	answer := v.public[0] + "|" + v.macs.mac(0, encHex, func(st *macState) { st.write(c) })
	return handshake(&Response{ContentType: "text/plain; charset=utf-8", Body: []byte(answer)}), nil
}

// braintreeChallengeText reports whether s is a challenge the SDKs answer:
// 20 to 32 characters of [a-f0-9].
func braintreeChallengeText(s string) bool {
	if len(s) < 20 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// braintreePayloadChar reports whether c may appear in bt_payload: the
// base64 alphabet and the line breaks between its lines, as the SDKs
// accept.
func braintreePayloadChar(c rune) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=' || c == '\n'
}

// braintreeFields reads the notification's kind and timestamp from the
// verified payload's XML (<notification><timestamp type="datetime">...
// <kind>...</kind>...) and returns them as a JSON object, where the
// preset's sources read them; nil when the payload is not such XML.
func braintreeFields(payload string) []byte {
	x, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(payload, "\n", ""))
	if err != nil {
		return nil
	}
	var n struct {
		XMLName   xml.Name `xml:"notification"`
		Kind      string   `xml:"kind"`
		Timestamp string   `xml:"timestamp"`
	}
	d := xml.NewDecoder(bytes.NewReader(x))
	d.Strict = true
	if d.Decode(&n) != nil {
		return nil
	}
	f := map[string]string{}
	if k := strings.TrimSpace(n.Kind); k != "" {
		f["kind"] = k
	}
	if t := strings.TrimSpace(n.Timestamp); t != "" {
		f["timestamp"] = t
	}
	b, _ := json.Marshal(f)
	return b
}

// sign makes r.Body a notification as Braintree posts it: r.Body, the
// notification's XML, becomes bt_payload (base64 in lines of 76
// characters, each ending in a newline, as the SDKs' sample notifications
// are), signed with the first key pair.
func (v *braintreeVerifier) sign(r *Request, _ time.Time) error {
	enc := base64.StdEncoding.EncodeToString(r.Body)
	var payload strings.Builder
	for len(enc) > 0 {
		n := min(76, len(enc))
		payload.WriteString(enc[:n])
		payload.WriteByte('\n')
		enc = enc[n:]
	}
	sig := v.public[0] + "|" + v.macs.mac(0, encHex, func(st *macState) { st.write(payload.String()) })
	r.Body = []byte(braintreeSigField + "=" + url.QueryEscape(sig) + "&" + braintreePayloadField + "=" + url.QueryEscape(payload.String()))
	return nil
}
