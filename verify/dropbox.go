package verify

import (
	"crypto/sha256"
	"net/http"
)

func init() {
	p := bodyMAC{
		name: "dropbox", header: "X-Dropbox-Signature", hash: sha256.New, enc: encHex,
		desc: "Dropbox: X-Dropbox-Signature <hex> HMAC-SHA256 over the body, app secret raw; GET ?challenge= echoed",
		// A notification only lists the accounts that changed: the
		// body's SHA-256 identifies it.
		methods: []string{http.MethodGet, http.MethodPost},
		wrap:    func(v *hmacVerifier, _ Options) Verifier { return &echoVerifier{v, "challenge"} },
	}.preset()
	p.Handshake = "GET ?challenge=: echoed as text/plain"
	register(p)
}
