package verify

import (
	"crypto/sha256"
	"net/http"
	"time"
)

func init() {
	register(bodyMAC{
		name: "dropbox", header: "X-Dropbox-Signature", hash: sha256.New, enc: encHex,
		desc: "Dropbox: X-Dropbox-Signature <hex> HMAC-SHA256 over the body, app secret raw; GET ?challenge= echoed",
		// A notification only lists the accounts that changed: the
		// body's SHA-256 identifies it.
		methods: []string{http.MethodGet, http.MethodPost},
		wrap:    func(v *hmacVerifier, _ Options) Verifier { return &echoVerifier{v, "challenge"} },
	}.preset())
}

// echoVerifier answers a GET verification request by echoing a query
// parameter (Dropbox's and Nylas's "challenge") and checks the MAC of every
// other request.
type echoVerifier struct {
	*hmacVerifier
	param string
}

// Verify implements Verifier.
func (v *echoVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Method == http.MethodGet {
		return challengeEcho(r, v.param)
	}
	return v.hmacVerifier.Verify(r, now)
}
