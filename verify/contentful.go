package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "contentful",
		Scheme: "hmac-sha256",
		Description: "Contentful: X-Contentful-Signature <hex> HMAC-SHA256 over {method}\\n{path?query}\\n{name:value;... of the " +
			"X-Contentful-Signed-Headers, sorted}\\n{body}; X-Contentful-Timestamp (ms) must be signed; signing secret raw; 30 s",
		Headers:   []string{contentfulSigHeader, contentfulSignedHeader, contentfulTSHeader},
		Tolerance: 30 * time.Second, // verifyRequest's default TTL
		// X-Contentful-Idempotency-Key is a SHA-256 per webhook call;
		// the topic is "ContentManagement.Entry.publish" and the like.
		EventID:   "header:X-Contentful-Idempotency-Key",
		EventType: []string{"header:X-Contentful-Topic"},
		New:       newWith(newContentful),
		Sign:      signWith(newContentful),
	})
}

const (
	contentfulSigHeader    = "X-Contentful-Signature"
	contentfulSignedHeader = "X-Contentful-Signed-Headers"
	contentfulTSHeader     = "X-Contentful-Timestamp"
	// maxContentfulSigned bounds the headers one request may list as
	// signed.
	maxContentfulSigned = 32
)

// contentfulVerifier checks Contentful's request verification, as
// verifyRequest in @contentful/node-apps-toolkit does: the hex HMAC-SHA256,
// keyed with the signing secret, of the canonical request
//
//	METHOD \n path \n name:value;name:value... \n body
//
// where path is the request path and query as that toolkit encodes them
// (getNormalizedEncodedURI), and the headers are those named in
// X-Contentful-Signed-Headers, lower-case, values trimmed, sorted by name.
// Unlike verifyRequest, it requires the timestamp header to be among the
// signed ones (Contentful always signs it), so that the window means
// something, and it also refuses timestamps ahead of now.
type contentfulVerifier struct {
	tol  time.Duration
	macs *macSet
}

var _ Verifier = (*contentfulVerifier)(nil)

func newContentful(o Options) (*contentfulVerifier, error) {
	return &contentfulVerifier{tol: o.Tolerance, macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// Verify implements Verifier. The signature is checked before the
// timestamp, so ErrTooOld and ErrTooNew mean a genuine but replayed or
// mistimed event.
func (v *contentfulVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, ts, at, err := readStamped(r, contentfulSigHeader, contentfulTSHeader, stampMillis)
	if err != nil {
		return Result{}, err
	}
	var sig [sha256.Size]byte
	if err := readMAC(sig[:], contentfulSigHeader, s, "", encHex); err != nil {
		return Result{}, err
	}
	list, err := requireHeader(r, contentfulSignedHeader)
	if err != nil {
		return Result{}, err
	}
	names, err := contentfulNames(list)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", contentfulSignedHeader, err, ErrMalformed)
	}
	pre := contentfulCanonical(r, names)
	i := v.macs.find(func(st *macState) bool {
		st.write(pre)
		st.h.Write(r.Body)
		return hmac.Equal(st.sum(), sig[:])
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", contentfulSigHeader, len(v.macs.pools), ErrMismatch)
	}
	if err := checkWindow("header", contentfulTSHeader, ts, at, now, v.tol); err != nil {
		return Result{}, err
	}
	return Result{SecretIndex: i}, nil
}

// contentfulNames parses the list of signed headers: names separated by
// commas, compared in lower case, sorted, without repeats. It must name
// the timestamp header.
func contentfulNames(list string) ([]string, error) {
	var names []string
	for n := range strings.SplitSeq(list, ",") {
		n = strings.ToLower(strings.TrimSpace(n))
		switch {
		case !validHeaderName(n):
			return nil, fmt.Errorf("%q is not a header name", truncate(n))
		case slices.Contains(names, n):
			continue
		case len(names) == maxContentfulSigned:
			return nil, fmt.Errorf("more than %d headers", maxContentfulSigned)
		}
		names = append(names, n)
	}
	if !slices.Contains(names, strings.ToLower(contentfulTSHeader)) {
		return nil, fmt.Errorf("does not list %s, so the timestamp would not be signed", strings.ToLower(contentfulTSHeader))
	}
	slices.Sort(names)
	return names, nil
}

// contentfulCanonical returns the canonical request up to the body:
// method, path and signed headers, each followed by a newline. A signed
// header the request lacks is left out, as verifyRequest does; the
// signature then fails.
func contentfulCanonical(r *Request, names []string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(contentfulPath(r.URL))
	b.WriteByte('\n')
	first := true
	for _, n := range names {
		vals, ok := r.Header[textproto.CanonicalMIMEHeaderKey(n)]
		if !ok {
			continue
		}
		if !first {
			b.WriteByte(';')
		}
		first = false
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strings.TrimSpace(strings.Join(vals, ", ")))
	}
	b.WriteByte('\n')
	return b.String()
}

// contentfulPath returns the path and query of rawURL as
// getNormalizedEncodedURI writes them: encodeURI(pathname), followed, when
// there is a query, by "?" and encodeURI(querystring.escape(query)). Like
// it, it keeps only the text between the first and a second "?".
func contentfulPath(rawURL string) string {
	s := rawURL
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[j:]
		} else {
			s = "/"
		}
	}
	s, _, _ = strings.Cut(s, "#")
	path, query, _ := strings.Cut(s, "?")
	query, _, _ = strings.Cut(query, "?")
	if query != "" {
		path += "?" + jsEscape(query, "-_.!~*'()")
	}
	return jsEscape(path, ";,/?:@&=+$-_.!~*'()#")
}

// jsEscape percent-encodes, in upper-case hex, every byte of s but ASCII
// letters, digits and the bytes of keep: encodeURI with keep
// ";,/?:@&=+$-_.!~*'()#", querystring.escape with "-_.!~*'()".
func jsEscape(s, keep string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// sign sets the timestamp, the list of signed headers (those two) and the
// signature on r, with the first secret at time now.
func (v *contentfulVerifier) sign(r *Request, now time.Time) error {
	r.Header.Set(contentfulTSHeader, stampMillis.format(now))
	r.Header.Set(contentfulSignedHeader, strings.ToLower(contentfulSignedHeader+","+contentfulTSHeader))
	names, err := contentfulNames(r.Header.Get(contentfulSignedHeader))
	if err != nil {
		return err
	}
	pre := contentfulCanonical(r, names)
	r.Header.Set(contentfulSigHeader, v.macs.mac(0, encHex, func(st *macState) {
		st.write(pre)
		st.h.Write(r.Body)
	}))
	return nil
}
