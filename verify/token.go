package verify

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/textproto"
	"time"
)

func init() {
	register(Preset{
		Name:         "token",
		BodyUnsigned: true,
		Scheme:       "token",
		Description:  "Generic shared token: a header equal to a secret, compared in constant time, body not signed (options header, prefix such as \"Bearer \")",
		Options:      []string{"header", "prefix"},
		New:          newWith(newTokenOptions),
		Sign:         signWith(newTokenOptions),
	})
}

// tokenVerifier checks that a header carries one of the secrets, as
// "<prefix><secret>". It proves only that the sender knows the secret: the
// body is not signed and a captured request can be replayed, so such
// providers are only as safe as TLS and the event-ID dedupe. It is safe for
// concurrent use.
type tokenVerifier struct {
	header string // canonical
	prefix string
	sums   [][sha256.Size]byte // SHA-256 of each secret
	first  string              // the first secret, which sign sends
}

var _ Verifier = (*tokenVerifier)(nil)

// newTokenOptions builds the generic token scheme from o.
func newTokenOptions(o Options) (*tokenVerifier, error) {
	return newToken("token", o.Header, o.Prefix, o.Secrets)
}

// newToken builds a token verifier; typ names the scheme in errors.
func newToken(typ, header, prefix string, secrets []string) (*tokenVerifier, error) {
	if header == "" {
		return nil, fmt.Errorf("%s: option header is required: %w", typ, ErrConfig)
	}
	if !validHeaderName(header) {
		return nil, fmt.Errorf("%s: option header %q is not a valid header name: %w", typ, header, ErrConfig)
	}
	v := &tokenVerifier{
		header: textproto.CanonicalMIMEHeaderKey(header),
		prefix: prefix,
		sums:   secretSums(secrets),
	}
	if len(secrets) > 0 {
		v.first = secrets[0]
	}
	return v, nil
}

// secretSums returns the SHA-256 of each secret, for matchSecret.
func secretSums(secrets []string) [][sha256.Size]byte {
	sums := make([][sha256.Size]byte, len(secrets))
	for i, s := range secrets {
		sums[i] = sha256.Sum256([]byte(s))
	}
	return sums
}

// matchSecret returns the index of the secret whose SHA-256 is in sums that
// equals got, or -1. Comparing digests takes the same time whatever the
// lengths, so the timing reveals neither a secret's length nor a prefix of
// it.
func matchSecret(sums [][sha256.Size]byte, got []byte) int {
	sum := sha256.Sum256(got)
	match := -1
	for i := range sums {
		if subtle.ConstantTimeCompare(sum[:], sums[i][:]) == 1 && match < 0 {
			match = i
		}
	}
	return match
}

// Verify implements Verifier. The prefix is matched case-insensitively
// ("bearer " for "Bearer "); the token itself exactly.
func (v *tokenVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	s, err := requireHeader(r, v.header)
	if err != nil {
		return Result{}, err
	}
	tok, ok := cutPrefixFold(s, v.prefix)
	if !ok {
		return Result{}, fmt.Errorf("header %s: does not start with %q: %w", v.header, v.prefix, ErrMalformed)
	}
	i := matchSecret(v.sums, []byte(tok))
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: token matches none of %d secrets: %w", v.header, len(v.sums), ErrMismatch)
	}
	return Result{SecretIndex: i}, nil
}

// sign sets the header to the prefix and the first secret.
func (v *tokenVerifier) sign(r *Request, _ time.Time) error {
	r.Header.Set(v.header, v.prefix+v.first)
	return nil
}
