package verify

import (
	"encoding/json"
	"fmt"
	"time"
)

func init() {
	p := stampMAC{
		name:      "zoom",
		sigHeader: "X-Zm-Signature", tsHeader: "X-Zm-Request-Timestamp", sigPrefix: "v0=", before: "v0:", sep: ":", enc: encHex,
		// Zoom documents no window; five minutes as for Slack, whose
		// scheme Zoom's copies.
		unit: stampSeconds, tolerance: 5 * time.Minute,
		desc:      "Zoom: x-zm-signature v0=<hex> over v0:{x-zm-request-timestamp}:{body}, secret token raw; answers endpoint.url_validation",
		eventID:   "header:X-Zm-Trackingid",
		eventType: []string{"event"},
		handshake: zoomHandshake,
	}.preset()
	p.Handshake = "endpoint.url_validation, signed like events: answered {\"plainToken\",\"encryptedToken\"} with the hex HMAC-SHA256 of plainToken"
	register(p)
}

// zoomHandshake answers the endpoint.url_validation request, which Zoom
// signs like any other: {"plainToken": ..., "encryptedToken": hex
// HMAC-SHA256 of plainToken keyed with the secret that verified it}.
func zoomHandshake(v *stampVerifier, body []byte, i int) (*Response, error) {
	var m struct {
		Event   string `json:"event"`
		Payload struct {
			PlainToken string `json:"plainToken"`
		} `json:"payload"`
	}
	if !decodeMarked(body, "endpoint.url_validation", &m) || m.Event != "endpoint.url_validation" {
		return nil, nil
	}
	if m.Payload.PlainToken == "" {
		return nil, fmt.Errorf("body: endpoint.url_validation without payload.plainToken: %w", ErrMalformed)
	}
	enc := v.macs.mac(i, encHex, func(st *macState) { st.write(m.Payload.PlainToken) })
	out, err := json.Marshal(struct {
		PlainToken     string `json:"plainToken"`
		EncryptedToken string `json:"encryptedToken"`
	}{m.Payload.PlainToken, enc})
	if err != nil { // cannot happen for two strings
		return nil, fmt.Errorf("body: %v: %w", err, ErrMalformed)
	}
	return &Response{ContentType: "application/json", Body: out}, nil
}
