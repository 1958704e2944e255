package verify

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(Preset{
		Name:         "mercadopago",
		BodyUnsigned: true,
		Aliases:      []string{"mercado-pago"},
		Scheme:       "hmac-sha256",
		Description: "Mercado Pago: x-signature ts=,v1=<hex> HMAC-SHA256 over \"id:{data.id query};request-id:{x-request-id};ts:{ts};\" " +
			"(absent parts left out), secret signature raw; the body is NOT signed, but its data.id, where it has one, must be the signed data.id of the URL; ts has no window",
		Headers: []string{mercadoPagoSigHeader, mercadoPagoIDHeader},
		// The body is not signed: id is the notification, the same on
		// every retry, but a captured signature can carry a body with
		// another id, action or type, for ever (ts has no window), and
		// only dedupe.body_hash catches a verbatim resend. What the
		// signature binds is the resource: the body's data.id must be
		// the URL's signed data.id, and a consumer fetches the resource
		// by it rather than trusting the rest of the body.
		EventID:    "id",
		EventType:  []string{"action"},
		CreatedAt:  "date_created",
		APIVersion: "api_version",
		New:        newWith(newMercadoPago),
		Sign:       signWith(newMercadoPago),
	})
}

const (
	mercadoPagoSigHeader = "X-Signature"
	mercadoPagoIDHeader  = "X-Request-Id"
)

// mercadoPagoVerifier checks Mercado Pago's x-signature, whose MAC covers
// the data.id query parameter, the x-request-id header and the ts of the
// signature header, each left out of the manifest when absent. Mercado
// Pago's PHP SDK checks no window by default, and its optional check reads
// ts as seconds while its own tests sign millisecond values (and Mercado
// Pago retries for days), so ts is signed but not checked.
//
// The body is not signed, and the URL, which holds the signed data.id, is
// not forwarded: consumers read the body. So when the URL has a data.id,
// the body must be a JSON object whose data.id (a string or a number) is
// the same, ignoring case as the signature does; otherwise a captured
// signature would carry a notification about any resource. The rest of the
// body (the notification id, action, type) is not bound to anything
// signed: a captured request can be sent again, for ever, with another id
// and action about the same resource, and is then a new event.
//
// It is safe for concurrent use.
type mercadoPagoVerifier struct {
	macs *macSet
}

var _ Verifier = (*mercadoPagoVerifier)(nil)

func newMercadoPago(o Options) (*mercadoPagoVerifier, error) {
	return &mercadoPagoVerifier{macs: newMACSet(rawKeys(o.Secrets), sha256.New)}, nil
}

// parseMercadoPago reads "ts=..,v1=.." (keys in any case, pairs trimmed,
// other keys ignored) and returns ts and the v1 value.
func parseMercadoPago(s string) (ts, v1 string) {
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "ts":
			ts = strings.TrimSpace(v)
		case "v1":
			v1 = strings.TrimSpace(v)
		}
	}
	return ts, v1
}

// write feeds the manifest to st.
func (v *mercadoPagoVerifier) write(st *macState, dataID, reqID, ts string) {
	if dataID != "" {
		st.write("id:", dataID, ";")
	}
	if reqID != "" {
		st.write("request-id:", reqID, ";")
	}
	st.write("ts:", ts, ";")
}

// Verify implements Verifier. data.id is signed as sent; Mercado Pago's
// documentation asks for alphanumeric IDs in lower case, so an ID with upper
// case letters also matches when signed lowered.
func (v *mercadoPagoVerifier) Verify(r *Request, _ time.Time) (Result, error) {
	const h = mercadoPagoSigHeader
	s, err := requireHeader(r, h)
	if err != nil {
		return Result{}, err
	}
	ts, v1 := parseMercadoPago(s)
	switch {
	case ts == "" || v1 == "":
		return Result{}, fmt.Errorf("header %s: ts and v1 are required: %w", h, ErrMalformed)
	case !isDigits(ts):
		return Result{}, fmt.Errorf("header %s: ts %q is not decimal digits: %w", h, truncate(ts), ErrMalformed)
	}
	var sig [sha256.Size]byte
	if err := readMAC(sig[:], h, v1, "", encHex); err != nil {
		return Result{}, err
	}
	dataID := strings.TrimSpace(queryValue(r.URL, "data.id"))
	reqID := strings.TrimSpace(r.Header.Get(mercadoPagoIDHeader))
	ids := []string{dataID}
	if lower := strings.ToLower(dataID); lower != dataID {
		ids = append(ids, lower)
	}
	i := v.macs.find(func(st *macState) bool {
		for k, id := range ids {
			if k > 0 {
				st.reset()
			}
			v.write(st, id, reqID, ts)
			if hmac.Equal(st.sum(), sig[:]) {
				return true
			}
		}
		return false
	})
	if i < 0 {
		return Result{}, fmt.Errorf("header %s: signature matches none of %d secrets: %w", h, len(v.macs.pools), ErrMismatch)
	}
	if dataID != "" {
		if err := checkMercadoPagoBody(r.Body, dataID); err != nil {
			return Result{}, err
		}
	}
	return Result{SecretIndex: i}, nil
}

// checkMercadoPagoBody checks that body is a JSON object whose data.id, a
// string or a number, is dataID, the signed data.id of the URL, ignoring
// case (Mercado Pago signs alphanumeric IDs lowered, and the vectors'
// bodies carry them in upper case). A body whose "data" or "data.id"
// appears twice is malformed: parsers disagree on which one wins. A body
// without data.id passes: some notifications signed with the URL's
// data.id carry none (a merchant order's "data" holds its status, its ID
// is the top-level "id"; a card update's holds the customer and cards),
// so for those the body is not bound to the signature.
func checkMercadoPagoBody(body []byte, dataID string) error {
	const absent = "\x00" // no JSON scalar of an ID reads as NUL
	id := absent
	if _, err := memberScalars(body, "data", map[string]*string{"id": &id}); err != nil {
		return fmt.Errorf("body: %v (data.id %q is signed): %w", err, truncate(dataID), ErrMalformed)
	}
	if id == absent {
		return nil
	}
	if !strings.EqualFold(id, dataID) {
		return fmt.Errorf("body: data.id %q is not the signed data.id %q of the URL: %w", truncate(id), truncate(dataID), ErrMismatch)
	}
	return nil
}

// isDigits reports whether s is one or more decimal digits.
func isDigits(s string) bool {
	_, ok := parseUnix(s)
	return ok
}

// sign sets x-signature with ts in milliseconds, signing the data.id of
// r.URL and the x-request-id of r where they are present.
func (v *mercadoPagoVerifier) sign(r *Request, now time.Time) error {
	reqID := strings.TrimSpace(r.Header.Get(mercadoPagoIDHeader))
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	dataID := strings.TrimSpace(queryValue(r.URL, "data.id"))
	mac := v.macs.mac(0, encHex, func(st *macState) { v.write(st, dataID, reqID, ts) })
	r.Header.Set(mercadoPagoSigHeader, "ts="+ts+",v1="+mac)
	return nil
}
