package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:        "linear",
		Scheme:      "hmac-sha256",
		Description: "Linear: Linear-Signature <hex> over the body; freshness from the signed body field webhookTimestamp (ms), not the Linear-Timestamp header",
		Headers:     []string{linearSigHeader, linearTSHeader},
		Tolerance:   time.Minute,
		EventID:     "header:Linear-Delivery",
		EventType:   []string{"type", "action"},
		// createdAt is when the action happened (RFC 3339).
		CreatedAt: "createdAt",
		Ordering:  &OrderingInfo{Key: "data.id", Version: "createdAt", Format: "rfc3339"},
		New:       newWith(newLinear),
		Sign:      signWith(newLinear),
	})
}

const (
	linearSigHeader = "Linear-Signature"
	linearTSHeader  = "Linear-Timestamp"
	linearTSField   = "webhookTimestamp"
)

// linearVerifier checks Linear's scheme: hex HMAC-SHA256 of the body in
// Linear-Signature. The time Linear signs is the body's top-level
// webhookTimestamp, in milliseconds. The Linear-Timestamp header carries the
// same time unsigned; Linear's SDK prefers it, which lets an old signed body
// pass with a fresh header, so here it is only the fallback for a body
// without the field (Linear always sends the field).
type linearVerifier struct {
	mac *hmacVerifier
	tol time.Duration
}

var _ Verifier = (*linearVerifier)(nil)

func newLinear(o Options) (*linearVerifier, error) {
	mac, err := bodyMAC{name: "linear", header: linearSigHeader, hash: sha256.New, enc: encHex}.build(o)
	if err != nil {
		return nil, err
	}
	return &linearVerifier{mac: mac, tol: o.Tolerance}, nil
}

// Verify implements Verifier. Linear sends both headers, and both are
// required. The signature is checked before the timestamp, so ErrTooOld and
// ErrTooNew mean a genuine but replayed or mistimed delivery.
func (v *linearVerifier) Verify(r *Request, now time.Time) (Result, error) {
	hdr := r.Header.Get(linearTSHeader)
	if hdr == "" && r.Header.Get(linearSigHeader) != "" {
		return Result{}, fmt.Errorf("header %s: %w", linearTSHeader, ErrNoSignature)
	}
	res, err := v.mac.Verify(r, now)
	if err != nil {
		return Result{}, err
	}
	in, name, raw := "body field", linearTSField, []byte(nil)
	if start, end, found, _ := linearMember(r.Body, linearTSField); found {
		raw = r.Body[start:end]
	} else {
		in, name, raw = "header", linearTSHeader+" (the body has no "+linearTSField+")", []byte(hdr)
	}
	ms, ok := parseUnix(raw)
	if !ok {
		return Result{}, fmt.Errorf("%s %s: %q is not unix milliseconds: %w", in, name, truncate(string(raw)), ErrMalformed)
	}
	if err := checkWindow(in, name, raw, time.UnixMilli(ms), now, v.tol); err != nil {
		return Result{}, err
	}
	return res, nil
}

// sign stamps now into the body's webhookTimestamp when the body is a JSON
// object, as Linear does, sets Linear-Timestamp, and signs.
func (v *linearVerifier) sign(r *Request, now time.Time) error {
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	r.Body = stampLinear(r.Body, ms)
	r.Header.Set(linearTSHeader, ms)
	return v.mac.sign(r, now)
}

// stampLinear returns body with its top-level webhookTimestamp set to ms:
// the value replaced when the member exists, the member added first
// otherwise. A body that is not a JSON object is returned as it is.
func stampLinear(body []byte, ms string) []byte {
	start, end, found, isObject := linearMember(body, linearTSField)
	switch {
	case found:
		out := make([]byte, 0, len(body)-(end-start)+len(ms))
		out = append(out, body[:start]...)
		out = append(out, ms...)
		return append(out, body[end:]...)
	case !isObject:
		return body
	}
	open := bytes.IndexByte(body, '{') + 1
	member := `"` + linearTSField + `":` + ms
	if rest := bytes.TrimLeft(body[open:], " \t\r\n"); len(rest) == 0 || rest[0] != '}' {
		member += ","
	}
	out := make([]byte, 0, len(body)+len(member))
	out = append(out, body[:open]...)
	out = append(out, member...)
	return append(out, body[open:]...)
}

// linearMember finds the top-level member key of the JSON object in body
// without decoding the rest: it returns the byte range of the member's
// value and whether the member was found. isObject is false when body is
// not a JSON object, as far as it was scanned: the scan stops at the member
// (the first, when the key repeats), so what follows is not validated. It
// does not allocate unless a member name contains escapes.
func linearMember(body []byte, key string) (start, end int, found, isObject bool) {
	i := linearSkipSpace(body, 0)
	if i == len(body) || body[i] != '{' {
		return 0, 0, false, false
	}
	i = linearSkipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return 0, 0, false, linearSkipSpace(body, i+1) == len(body)
	}
	for {
		if i == len(body) || body[i] != '"' {
			return 0, 0, false, false
		}
		nameStart := i
		i = linearSkipString(body, i)
		if i < 0 {
			return 0, 0, false, false
		}
		name := body[nameStart:i]
		i = linearSkipSpace(body, i)
		if i == len(body) || body[i] != ':' {
			return 0, 0, false, false
		}
		start = linearSkipSpace(body, i+1)
		end = linearSkipValue(body, start)
		if end < 0 {
			return 0, 0, false, false
		}
		if linearNameIs(name, key) {
			return start, end, true, true
		}
		i = linearSkipSpace(body, end)
		if i == len(body) {
			return 0, 0, false, false
		}
		switch body[i] {
		case ',':
			i = linearSkipSpace(body, i+1)
		case '}':
			return 0, 0, false, linearSkipSpace(body, i+1) == len(body)
		default:
			return 0, 0, false, false
		}
	}
}

// linearNameIs reports whether the quoted member name equals key.
func linearNameIs(quoted []byte, key string) bool {
	if bytes.IndexByte(quoted, '\\') < 0 {
		return len(quoted) == len(key)+2 && string(quoted[1:len(quoted)-1]) == key
	}
	var s string
	return json.Unmarshal(quoted, &s) == nil && s == key
}

func linearSkipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// linearSkipString returns the index after the string that starts at b[i],
// a quote, or -1 when it does not end.
func linearSkipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// linearSkipValue returns the index after the value that starts at b[i], or
// -1 when there is none. Objects and arrays are skipped by bracket depth,
// minding strings; scalars run to the next delimiter. It checks no more
// than it needs to find the end.
func linearSkipValue(b []byte, i int) int {
	if i == len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return linearSkipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				if i = linearSkipString(b, i); i < 0 {
					return -1
				}
				i-- // the loop's i++ steps past the closing quote
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && strings.IndexByte(",}] \t\r\n", b[j]) < 0 {
		j++
	}
	if j == i {
		return -1
	}
	return j
}
