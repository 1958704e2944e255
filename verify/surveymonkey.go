package verify

import (
	"crypto/sha1"
	"errors"
	"net/http"
	"strings"
	"time"
)

func init() {
	p := bodyMAC{
		name: "surveymonkey", header: "Sm-Signature", hash: sha1.New, enc: encBase64,
		desc: "SurveyMonkey: Sm-Signature <base64> HMAC-SHA1 over the body, key \"<client ID or API key>&<API secret>\" given as is; HEAD check answered",
		key:  surveyMonkeyKey,
		// event_id identifies the event; the object it happened to is
		// object_type/object_id.
		eventID: "event_id", eventType: []string{"event_type"},
		methods: []string{http.MethodHead, http.MethodPost},
		wrap:    func(v *hmacVerifier, _ Options) Verifier { return &headOKVerifier{v} },
	}.preset()
	p.Handshake = "HEAD when the webhook is created: answered 200"
	register(p)
}

// surveyMonkeyKey checks that a secret has the form SurveyMonkey keys its
// HMAC with, "<client ID or API key>&<API secret>", and uses it byte for
// byte.
func surveyMonkeyKey(s string) ([]byte, error) {
	id, secret, ok := strings.Cut(s, "&")
	if !ok || id == "" || secret == "" {
		return nil, errors.New(`want "<client ID or API key>&<API secret>", joined by "&"`)
	}
	return []byte(s), nil
}

// headOKVerifier answers a HEAD request 200 with no body, as SurveyMonkey
// checks a subscription URL before it creates the webhook, and checks the
// MAC of every other request.
type headOKVerifier struct {
	*hmacVerifier
}

// Verify implements Verifier.
func (v *headOKVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method == http.MethodHead {
		return handshake(&Response{}), nil
	}
	return v.hmacVerifier.Verify(r, now)
}
