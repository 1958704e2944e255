package verify

import "time"

func init() {
	register(githubPreset("github", "X-Hub-Signature-256", "sha256", "GitHub: X-Hub-Signature-256 sha256=<hex> over the body"))
	register(githubPreset("github-sha1", "X-Hub-Signature", "sha1", "GitHub legacy: X-Hub-Signature sha1=<hex> over the body (HMAC-SHA1)"))
}

// githubPreset is the generic hmac scheme with GitHub's header, prefix and
// algorithm fixed. The signature is over the body only: no timestamp, so
// replays are caught by the delivery ID, which GitHub keeps on redelivery.
func githubPreset(name, hdr, alg, desc string) Preset {
	build := func(o Options) (*hmacVerifier, error) {
		o.Header, o.Prefix, o.Algorithm, o.Encoding = hdr, alg+"=", alg, "hex"
		return newHMAC(name, o)
	}
	return Preset{
		Name:        name,
		Scheme:      "hmac-" + alg,
		Description: desc,
		Headers:     []string{hdr},
		EventID:     "header:X-GitHub-Delivery",
		EventType:   []string{"header:X-GitHub-Event", "action"},
		New:         func(o Options) (Verifier, error) { return verifier(build(o)) },
		Sign: func(r *Request, o Options, _ time.Time) error {
			v, err := build(o)
			if err != nil {
				return err
			}
			v.sign(r)
			return nil
		},
	}
}
