package verify

import (
	"crypto/sha256"
	"net/http"
)

func init() {
	p := bodyMAC{
		name: "nylas", header: "X-Nylas-Signature", hash: sha256.New, enc: encHex,
		desc:    "Nylas: X-Nylas-Signature <hex> HMAC-SHA256 over the body, webhook secret raw; GET ?challenge= echoed",
		eventID: "id", eventType: []string{"type"},
		methods: []string{http.MethodGet, http.MethodPost},
		wrap:    func(v *hmacVerifier, _ Options) Verifier { return &echoVerifier{v, "challenge"} },
	}.preset()
	p.Handshake = "GET ?challenge=: echoed as text/plain"
	register(p)
}
