package verify

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

func init() {
	p := bodyMAC{
		name: "twitter", aliases: []string{"x"}, header: "X-Twitter-Webhooks-Signature", prefix: "sha256=", hash: sha256.New, enc: encBase64,
		desc: "X (Twitter) Account Activity: x-twitter-webhooks-signature sha256=<base64> over the body, consumer secret raw; GET CRC answered",
		// Activity payloads carry no event ID: the body's SHA-256
		// identifies a delivery.
		methods: []string{http.MethodGet, http.MethodPost},
		wrap:    func(v *hmacVerifier, _ Options) Verifier { return &twitterVerifier{v} },
	}.preset()
	p.Handshake = "GET ?crc_token= (CRC): answered {\"response_token\":\"sha256=<base64 HMAC-SHA256 of the token>\"}"
	register(p)
}

// twitterVerifier answers X's challenge-response check (CRC), a GET with a
// crc_token that must be answered with sha256=<base64 HMAC-SHA256 of the
// token> under the consumer secret, and checks the signature of every POST.
type twitterVerifier struct{ *hmacVerifier }

// Verify implements Verifier. The CRC answer uses the first secret in use
// (see Options.NotAfter), the one X signs with; during a rotation list the
// new consumer secret first.
//
// The CRC answers the same MAC that signs a POST body, for a token the
// caller chooses: answering any token would let anyone obtain a valid
// signature for a forged body. Only tokens of base64 or base64url
// characters are answered, and a POST whose body is such a token is
// refused whatever its signature: the JSON scalars null, true, false and
// integers such as 12345 or -1 are made of those characters, so the CRC
// would sign them (X's Account Activity deliveries are JSON objects).
func (v *twitterVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method != http.MethodGet {
		if crcToken(r.Body) {
			return Result{}, fmt.Errorf("body %q is a token the CRC answers for anyone, so no signature of it is X's: %w", truncate(string(r.Body)), ErrMismatch)
		}
		return v.hmacVerifier.Verify(r, now)
	}
	tok := queryValue(r.URL, "crc_token")
	if tok == "" {
		return Result{}, fmt.Errorf("GET without query parameter crc_token: %w", ErrNoSignature)
	}
	if !crcToken(tok) {
		return Result{}, fmt.Errorf("query parameter crc_token: not 1 to %d base64 characters: %w", maxChallenge, ErrMalformed)
	}
	answer := "sha256=" + v.macs.mac(0, encBase64, func(st *macState) { st.write(tok) })
	body, err := json.Marshal(map[string]string{"response_token": answer})
	if err != nil {
		return Result{}, err
	}
	return handshake(&Response{ContentType: "application/json", Body: body}), nil
}

// crcToken reports whether s is a token the CRC may answer: 1 to
// maxChallenge characters of the base64 and base64url alphabets. A POST
// body is checked with it too (see Verify).
func crcToken[T ~string | ~[]byte](s T) bool {
	if len(s) > maxChallenge {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '+' || c == '/' || c == '=' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return len(s) > 0
}
