package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

func init() {
	register(Preset{
		Name:        "zoom",
		Scheme:      "hmac-sha256",
		Description: "Zoom: x-zm-signature v0=<hex> over v0:{x-zm-request-timestamp}:{body}, secret token raw; answers endpoint.url_validation",
		Headers:     []string{zoomSigHeader, zoomTSHeader},
		// Zoom documents no window; five minutes as for Slack, whose
		// scheme Zoom's copies.
		Tolerance: 5 * time.Minute,
		EventID:   "header:X-Zm-Trackingid",
		EventType: []string{"event"},
		New: func(o Options) (Verifier, error) {
			return newV0(zoomSigHeader, zoomTSHeader, o, zoomHandshake), nil
		},
		Sign: func(r *Request, o Options, now time.Time) error {
			newV0(zoomSigHeader, zoomTSHeader, o, nil).sign(r, now)
			return nil
		},
	})
}

const (
	zoomSigHeader = "X-Zm-Signature"
	zoomTSHeader  = "X-Zm-Request-Timestamp"
)

// zoomHandshake answers the endpoint.url_validation request, which Zoom
// signs like any other: {"plainToken": ..., "encryptedToken": hex
// HMAC-SHA256 of plainToken keyed with the secret that verified it}.
func zoomHandshake(v *v0Verifier, body []byte, i int) (*Response, error) {
	if !bytes.Contains(body, []byte("endpoint.url_validation")) {
		return nil, nil // the common case costs no JSON decoding
	}
	var m struct {
		Event   string `json:"event"`
		Payload struct {
			PlainToken string `json:"plainToken"`
		} `json:"payload"`
	}
	if json.Unmarshal(body, &m) != nil || m.Event != "endpoint.url_validation" {
		return nil, nil
	}
	if m.Payload.PlainToken == "" {
		return nil, fmt.Errorf("body: endpoint.url_validation without payload.plainToken: %w", ErrMalformed)
	}
	st := v.macs.get(i)
	st.h.Write([]byte(m.Payload.PlainToken))
	enc := encHex.encode(st.sum())
	v.macs.put(i, st)
	out, err := json.Marshal(struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{m.Payload.PlainToken, enc})
	if err != nil { // cannot happen for two strings
		return nil, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	return &Response{ContentType: "application/json", Body: out}, nil
}
