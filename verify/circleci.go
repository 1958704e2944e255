package verify

import (
	"crypto/sha256"
	"net/textproto"
)

func init() {
	register(Preset{
		Name:        "circleci",
		Scheme:      "hmac-sha256",
		Description: "CircleCI: circleci-signature v1=<hex> (a comma-separated list of versions) HMAC-SHA256 over the body, secret token raw",
		Headers:     []string{circleCIHeader},
		// id is the same across retries (CircleCI's advice for duplicates);
		// circleci-event-type echoes type.
		EventID:   "id",
		EventType: []string{"type"},
		CreatedAt: "happened_at", // RFC 3339
		New:       newWith(newCircleCI),
		Sign:      signWith(newCircleCI),
	})
}

const circleCIHeader = "Circleci-Signature"

// newCircleCI builds CircleCI's check from the hmac-template family: the
// header is a list of "vN=<hex>" entries separated by commas, of which v1,
// the hex HMAC-SHA256 of the raw body keyed with the secret byte for byte,
// is the only version CircleCI sends and the one checked; other versions
// are ignored. Nothing is timed.
func newCircleCI(o Options) (*templateVerifier, error) {
	return &templateVerifier{
		header: textproto.CanonicalMIMEHeaderKey(circleCIHeader),
		prefix: "v1=",
		enc:    encHex,
		format: templateFormat{kind: formatList},
		macs:   newMACSet(rawKeys(o.Secrets), sha256.New),
	}, nil
}
