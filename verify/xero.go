package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"time"
)

func init() {
	p := bodyMAC{
		name: "xero", header: "X-Xero-Signature", hash: sha256.New, enc: encBase64,
		desc: "Xero: x-xero-signature <base64> HMAC-SHA256 over the body, webhook key raw; Intent to Receive answered 200",
		// A delivery batches events: the body's SHA-256 identifies it.
		eventType: []string{"events.0.eventCategory", "events.0.eventType"},
		wrap:      func(v *hmacVerifier, _ Options) Verifier { return &xeroVerifier{v} },
	}.preset()
	// Xero takes only a 200 as a delivery: a 202 counts as a failure, is
	// retried, and failures disable the webhook.
	p.Success = &Response{Status: 200}
	register(p)
}

// xeroVerifier answers Xero's Intent to Receive: a series of signed POSTs
// with an empty events list, of which the correctly signed ones must get 200
// with no body and the others 401. They are not events, so they are answered
// as a handshake and not recorded.
type xeroVerifier struct{ *hmacVerifier }

// Verify implements Verifier.
func (v *xeroVerifier) Verify(r *Request, now time.Time) (Result, error) {
	res, err := v.hmacVerifier.Verify(r, now)
	if err == nil && xeroIntent(r.Body) {
		res.Response = &Response{Status: 200}
	}
	return res, err
}

// xeroIntent reports whether body is an Intent to Receive payload: an
// "events" list that is present and empty.
func xeroIntent(body []byte) bool {
	// An intent payload is a few dozen bytes; decode only a short body
	// that has an empty events list, so deliveries cost no allocation.
	if len(body) > 1<<10 || !emptyEventsList(body) {
		return false
	}
	var p struct {
		Events *[]json.RawMessage `json:"events"`
	}
	return json.Unmarshal(body, &p) == nil && p.Events != nil && len(*p.Events) == 0
}

// emptyEventsList reports whether body has the text "events" followed by a
// colon and an empty list, spaces allowed: a cheap test before decoding.
func emptyEventsList(body []byte) bool {
	const key = `"events"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return false
	}
	rest := bytes.TrimLeft(body[i+len(key):], " \t\r\n")
	if len(rest) == 0 || rest[0] != ':' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) == 0 || rest[0] != '[' {
		return false
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return len(rest) > 0 && rest[0] == ']'
}
