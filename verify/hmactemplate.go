package verify

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:   "hmac-template",
		Scheme: "hmac",
		Description: "Generic HMAC over a template of {body}, {timestamp}, {method}, {url} and {header:Name}, " +
			"in a plain, kv (t=,v1=) or list header (options header, template, format, prefix, algorithm, encoding, timestamp_header)",
		Tolerance: templateTolerance,
		Options:   []string{"header", "template", "format", "prefix", "algorithm", "encoding", "timestamp_header"},
		New:       newWith(newTemplate),
		Sign:      signWith(newTemplate),
	})
}

// templateTolerance is the hmac-template window when the template signs a
// timestamp: five minutes, as Stripe, Slack and Standard Webhooks use.
const templateTolerance = 5 * time.Minute

// templateVerifier is the hmac-template scheme, configured entirely by
// options, so that a provider without a preset can be verified:
//
//   - template is the signed content. Placeholders are {body} (exactly once),
//     {timestamp}, {method}, {url} (Request.URL) and {header:Name}; the rest
//     is literal, and braces always delimit a placeholder. Default "{body}".
//     {timestamp} is the timestamp as sent, from timestamp_header or from the
//     kv header; it is checked against the tolerance in both directions and
//     may be unix seconds or RFC 3339. A header named in {header:Name} must
//     be present: it is signed.
//   - format is how the signature header is laid out:
//     "plain" (default): "<prefix><mac>".
//     "kv[SEP][:TKEY,SKEY]": key=value pairs separated by SEP (one of
//     , ; & | or space; default ","), the timestamp under TKEY (default
//     "t"; empty when the timestamp is elsewhere) and one or more
//     signatures under SKEY (default "v1"), each "<prefix><mac>". Unknown
//     keys and signatures that do not decode are ignored, so "kv" reads
//     Stripe's "t=..,v1=..,v0=.." and "kv;:ts,h1" reads Paddle's
//     "ts=..;h1=..".
//     "list": signatures "<prefix><mac>" separated by spaces or commas (by
//     spaces only when the prefix contains a comma, as in Standard
//     Webhooks' "v1,<b64> v1,<b64>"); entries without the prefix (other
//     versions) or that do not decode are ignored.
//   - prefix, algorithm (sha1, sha256, sha512) and encoding (hex, base64)
//     are as for the generic hmac scheme.
//
// Secrets are HMAC keys used byte for byte. It is safe for concurrent use.
type templateVerifier struct {
	header   string // canonical signature header
	prefix   string
	enc      encoding
	format   templateFormat
	pre      []templatePart // before {body}
	post     []templatePart // after {body}
	tsHeader string         // canonical header holding {timestamp}, or ""
	tsName   string         // the header holding the timestamp, for messages: "X-Ts", or "X-Sig key t"
	timed    bool           // the template holds {timestamp}
	tol      time.Duration
	macs     *macSet
}

var _ Verifier = (*templateVerifier)(nil)

// templatePart is a literal or a placeholder of a template.
type templatePart struct {
	kind partKind
	text string // the literal, or the canonical header name
}

type partKind int

const (
	partLiteral partKind = iota
	partTimestamp
	partMethod
	partURL
	partHeader
)

// templateFormat is a parsed format option.
type templateFormat struct {
	kind   formatKind
	sep    byte   // kv: pair separator
	tsKey  string // kv: key of the timestamp, or ""
	sigKey string // kv: key of the signatures
}

type formatKind int

const (
	formatPlain formatKind = iota
	formatKV
	formatList
)

func (f templateFormat) String() string {
	switch f.kind {
	case formatKV:
		return "kv" + string(f.sep) + ":" + f.tsKey + "," + f.sigKey
	case formatList:
		return "list"
	}
	return "plain"
}

func newTemplate(o Options) (*templateVerifier, error) {
	const typ = "hmac-template"
	header, fn, enc, err := macOptions(typ, o)
	if err != nil {
		return nil, err
	}
	f, err := parseTemplateFormat(o.Format)
	if err != nil {
		return nil, fmt.Errorf("%s: option format %q: %v: %w", typ, o.Format, err, ErrConfig)
	}
	switch {
	case f.kind == formatKV && strings.IndexByte(o.Prefix, f.sep) >= 0:
		return nil, fmt.Errorf("%s: option prefix %q holds the kv separator %q: %w", typ, o.Prefix, f.sep, ErrConfig)
	case f.kind == formatList && strings.ContainsAny(o.Prefix, " \t"):
		return nil, fmt.Errorf("%s: option prefix %q holds a space, which separates list entries: %w", typ, o.Prefix, ErrConfig)
	}
	tmpl := o.Template
	if tmpl == "" {
		tmpl = "{body}"
	}
	pre, post, err := parseTemplate(tmpl)
	if err != nil {
		return nil, fmt.Errorf("%s: option template %q: %v: %w", typ, tmpl, err, ErrConfig)
	}
	v := &templateVerifier{
		header: header,
		prefix: o.Prefix,
		enc:    enc,
		format: f,
		pre:    pre,
		post:   post,
		tol:    o.Tolerance,
		macs:   newMACSet(rawKeys(o.Secrets), fn),
	}
	for _, p := range append(pre[:len(pre):len(pre)], post...) {
		switch {
		case p.kind == partTimestamp:
			v.timed = true
		case p.kind == partHeader && p.text == v.header:
			return nil, fmt.Errorf("%s: option template signs the signature header %s: %w", typ, v.header, ErrConfig)
		}
	}
	if o.TimestampHeader != "" {
		if !validHeaderName(o.TimestampHeader) {
			return nil, fmt.Errorf("%s: option timestamp_header %q is not a valid header name: %w", typ, o.TimestampHeader, ErrConfig)
		}
		v.tsHeader = textproto.CanonicalMIMEHeaderKey(o.TimestampHeader)
	}
	switch {
	case !v.timed && v.tsHeader != "":
		return nil, fmt.Errorf("%s: option timestamp_header is set but the template has no {timestamp}, so the timestamp would not be signed: %w", typ, ErrConfig)
	case !v.timed && o.Tolerance != templateTolerance:
		// prepare sets the default when none is given, so this catches any
		// other tolerance: it would silently check nothing.
		return nil, fmt.Errorf("%s: a tolerance needs {timestamp} in the template: %w", typ, ErrConfig)
	case v.timed && f.kind == formatKV && f.tsKey != "" && v.tsHeader != "":
		return nil, fmt.Errorf("%s: the timestamp is key %s of the signature header, so option timestamp_header must not be set: %w", typ, f.tsKey, ErrConfig)
	case v.timed && (f.kind != formatKV || f.tsKey == "") && v.tsHeader == "":
		return nil, fmt.Errorf("%s: the template signs {timestamp}: set timestamp_header or use a kv format with a timestamp key: %w", typ, ErrConfig)
	case v.timed && v.tsHeader == v.header:
		return nil, fmt.Errorf("%s: option timestamp_header is the signature header: %w", typ, ErrConfig)
	}
	v.tsName = v.header + " key " + f.tsKey
	if v.tsHeader != "" {
		v.tsName = v.tsHeader
	}
	return v, nil
}

// parseTemplateFormat parses the format option (see templateVerifier).
func parseTemplateFormat(s string) (templateFormat, error) {
	switch s {
	case "", "plain":
		return templateFormat{kind: formatPlain}, nil
	case "list":
		return templateFormat{kind: formatList}, nil
	}
	rest, ok := strings.CutPrefix(s, "kv")
	if !ok {
		return templateFormat{}, errors.New(`not "plain", "list" or "kv[SEP][:TKEY,SKEY]"`)
	}
	f := templateFormat{kind: formatKV, sep: ',', tsKey: "t", sigKey: "v1"}
	if rest != "" && rest[0] != ':' {
		if strings.IndexByte(",;&| ", rest[0]) < 0 {
			return f, fmt.Errorf("separator %q is not one of , ; & | or space", rest[:1])
		}
		f.sep, rest = rest[0], rest[1:]
	}
	if rest == "" {
		return f, nil
	}
	keys, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return f, errors.New(`keys must follow a ":"`)
	}
	tk, sk, ok := strings.Cut(keys, ",")
	if !ok {
		return f, errors.New(`keys must be "TKEY,SKEY"`)
	}
	for _, k := range []string{tk, sk} {
		if strings.ContainsAny(k, "=,;&| \t") {
			return f, fmt.Errorf("key %q holds a separator or =", k)
		}
	}
	switch {
	case sk == "":
		return f, errors.New("the signature key is empty")
	case tk == sk:
		return f, errors.New("the timestamp and signature keys are the same")
	}
	f.tsKey, f.sigKey = tk, sk
	return f, nil
}

// parseTemplate splits a template at its {body} placeholder.
func parseTemplate(s string) (pre, post []templatePart, err error) {
	var parts []templatePart
	body := -1
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			parts = append(parts, templatePart{kind: partLiteral, text: s})
			break
		}
		if i > 0 {
			parts = append(parts, templatePart{kind: partLiteral, text: s[:i]})
		}
		if s[i] == '}' {
			return nil, nil, errors.New("} without {")
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, nil, errors.New("{ without }")
		}
		name := s[i+1 : i+j]
		s = s[i+j+1:]
		switch name {
		case "body":
			if body >= 0 {
				return nil, nil, errors.New("{body} appears twice")
			}
			body = len(parts)
		case "timestamp":
			parts = append(parts, templatePart{kind: partTimestamp})
		case "method":
			parts = append(parts, templatePart{kind: partMethod})
		case "url":
			parts = append(parts, templatePart{kind: partURL})
		case "id":
			return nil, nil, errors.New("{id}: name the header that carries the ID, as in {header:Webhook-Id}")
		default:
			h, ok := strings.CutPrefix(name, "header:")
			if !ok {
				return nil, nil, fmt.Errorf("unknown placeholder {%s}", name)
			}
			if !validHeaderName(h) {
				return nil, nil, fmt.Errorf("{header:%s}: not a valid header name", h)
			}
			parts = append(parts, templatePart{kind: partHeader, text: textproto.CanonicalMIMEHeaderKey(h)})
		}
	}
	if body < 0 {
		return nil, nil, errors.New("no {body}: the body would not be signed")
	}
	return parts[:body], parts[body:], nil
}

// parse reads the signature header s in v's format, returning the
// signatures and, for a kv format with a timestamp key, the timestamp as
// sent. Its errors are plain details for the caller to wrap.
func (v *templateVerifier) parse(s string, sigs *wideSigList) (ts string, err error) {
	size := v.macs.size
	switch v.format.kind {
	case formatPlain:
		mac, ok := cutPrefixFold(s, v.prefix)
		if !ok {
			return "", fmt.Errorf("does not start with %q", v.prefix)
		}
		sigs.add(mac, size, v.enc)
	case formatList:
		seps := " \t,"
		if strings.IndexByte(v.prefix, ',') >= 0 {
			seps = " \t"
		}
		for s != "" {
			var e string
			if i := strings.IndexAny(s, seps); i >= 0 {
				e, s = s[:i], s[i+1:]
			} else {
				e, s = s, ""
			}
			mac, ok := cutPrefixFold(e, v.prefix)
			if e == "" || !ok {
				continue
			}
			if !sigs.add(mac, size, v.enc) {
				return "", fmt.Errorf("more than %d signatures", maxSigs)
			}
		}
	case formatKV:
		f := v.format
		seenT := false
		for s != "" {
			var pair string
			if i := strings.IndexByte(s, f.sep); i >= 0 {
				pair, s = s[:i], s[i+1:]
			} else {
				pair, s = s, ""
			}
			pair = strings.Trim(pair, " \t")
			if pair == "" {
				continue
			}
			k, val, ok := strings.Cut(pair, "=")
			if !ok {
				return "", fmt.Errorf("pair %q is not key=value", truncate(pair))
			}
			switch {
			case k == f.tsKey && v.timed:
				if seenT {
					return "", fmt.Errorf("%s appears twice", f.tsKey)
				}
				seenT, ts = true, val
			case k == f.sigKey:
				mac, ok := cutPrefixFold(val, v.prefix)
				if !ok {
					continue
				}
				if !sigs.add(mac, size, v.enc) {
					return "", fmt.Errorf("more than %d %s signatures", maxSigs, f.sigKey)
				}
			}
		}
		if v.timed && v.tsHeader == "" && !seenT {
			return "", fmt.Errorf("no %s= timestamp", f.tsKey)
		}
	}
	if sigs.n == 0 {
		return "", fmt.Errorf("no %d-byte %s signature with prefix %q", size, v.enc, v.prefix)
	}
	return ts, nil
}

// Verify implements Verifier. The signature is checked before the timestamp,
// so ErrTooOld and ErrTooNew mean a genuine but replayed or mistimed event.
func (v *templateVerifier) Verify(r *Request, now time.Time) (Result, error) {
	s, err := requireHeader(r, v.header)
	if err != nil {
		return Result{}, err
	}
	var sigs wideSigList
	ts, err := v.parse(s, &sigs)
	if err != nil {
		return Result{}, fmt.Errorf("header %s: %v: %w", v.header, err, ErrMalformed)
	}
	if v.tsHeader != "" {
		if ts, err = requireHeader(r, v.tsHeader); err != nil {
			return Result{}, err
		}
	}
	var t time.Time
	if v.timed {
		if t, err = stampSecondsOrRFC3339.read("header", v.tsName, ts); err != nil {
			return Result{}, err
		}
	}
	// The content around the body is built once, in a spare state's
	// buffer, and written for every secret.
	scratch := v.macs.get(0)
	defer v.macs.put(0, scratch)
	split, err := v.build(scratch, r, ts)
	if err != nil {
		return Result{}, err
	}
	i := v.macs.find(func(st *macState) bool {
		writeAround(st, scratch.buf[:split], r.Body, scratch.buf[split:])
		return sigs.match(st.sum())
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: no signature matches any of %d secrets: %w", v.header, len(v.macs.pools), ErrMismatch)
	}
	if v.timed {
		if err := checkWindow("header", v.tsName, ts, t, now, v.tol); err != nil {
			return Result{}, err
		}
	}
	return Result{SecretIndex: i}, nil
}

// writeAround feeds st pre, the body and post.
func writeAround(st *macState, pre, body, post []byte) {
	st.h.Write(pre)
	st.h.Write(body)
	st.h.Write(post)
}

// build writes into st.buf the signed content before the body followed by
// the content after it, and returns where the first ends. A header the
// template names must be present.
func (v *templateVerifier) build(st *macState, r *Request, ts string) (int, error) {
	st.buf = st.buf[:0]
	var err error
	add := func(parts []templatePart) {
		for _, p := range parts {
			switch p.kind {
			case partLiteral:
				st.buf = append(st.buf, p.text...)
			case partTimestamp:
				st.buf = append(st.buf, ts...)
			case partMethod:
				st.buf = append(st.buf, r.Method...)
			case partURL:
				st.buf = append(st.buf, r.URL...)
			case partHeader:
				h := r.Header.Get(p.text)
				if h == "" && err == nil {
					err = fmt.Errorf("header %s: %w", p.text, ErrNoSignature)
				}
				st.buf = append(st.buf, h...)
			}
		}
	}
	add(v.pre)
	split := len(st.buf)
	add(v.post)
	return split, err
}

// sign sets the signature header on r with the first secret at time now,
// and the timestamp header when there is one. A header the template names
// that r lacks is set to a random ID.
func (v *templateVerifier) sign(r *Request, now time.Time) error {
	ts := strconv.FormatInt(now.Unix(), 10)
	if v.tsHeader != "" {
		r.Header.Set(v.tsHeader, ts)
	}
	for _, p := range append(v.pre[:len(v.pre):len(v.pre)], v.post...) {
		if p.kind == partHeader && r.Header.Get(p.text) == "" {
			r.Header.Set(p.text, "msg_"+rand.Text())
		}
	}
	sig := v.prefix + v.macs.mac(0, v.enc, func(st *macState) {
		split, _ := v.build(st, r, ts)
		writeAround(st, st.buf[:split], r.Body, st.buf[split:])
	})
	if f := v.format; f.kind == formatKV {
		sig = f.sigKey + "=" + sig
		if v.timed && f.tsKey != "" {
			sig = f.tsKey + "=" + ts + string(f.sep) + sig
		}
	}
	r.Header.Set(v.header, sig)
	return nil
}
