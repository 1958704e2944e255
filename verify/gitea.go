package verify

import (
	"crypto/sha256"
	"time"
)

func init() {
	register(bodyMAC{
		name: "gitea", header: "X-Gitea-Signature", hash: sha256.New, enc: encHex,
		desc:    "Gitea: X-Gitea-Signature <hex> HMAC-SHA256 over the body (no prefix), webhook secret raw",
		eventID: "header:X-Gitea-Delivery", eventType: []string{"header:X-Gitea-Event", "action"},
	}.preset())
	forgejo := bodyMAC{
		name: "forgejo", header: "X-Forgejo-Signature", hash: sha256.New, enc: encHex,
		desc:    "Forgejo: X-Forgejo-Signature (else X-Gitea-Signature) <hex> HMAC-SHA256 over the body, webhook secret raw",
		eventID: "header:X-Forgejo-Delivery", eventType: []string{"header:X-Forgejo-Event", "action"},
	}
	forgejo.wrap = func(v *hmacVerifier) Verifier {
		gitea := *v
		gitea.header = "X-Gitea-Signature"
		return &forgejoVerifier{v, &gitea}
	}
	p := forgejo.preset()
	p.Headers = append(p.Headers, "X-Gitea-Signature")
	register(p)
}

// forgejoVerifier reads X-Forgejo-Signature and, when that header is absent,
// X-Gitea-Signature, which Forgejo also sends for compatibility. A wrong
// X-Forgejo-Signature is not rescued by a right X-Gitea-Signature.
type forgejoVerifier struct{ forgejo, gitea *hmacVerifier }

// Verify implements Verifier.
func (v *forgejoVerifier) Verify(r *Request, now time.Time) (Result, error) {
	if r.Header.Get(v.forgejo.header) == "" && r.Header.Get(v.gitea.header) != "" {
		return v.gitea.Verify(r, now)
	}
	return v.forgejo.Verify(r, now)
}
