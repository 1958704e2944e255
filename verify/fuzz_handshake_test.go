package verify

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func FuzzQueryValue(f *testing.F) {
	for _, s := range []string{"", "https://h/x?challenge=a", "?challenge=%zz", "x?a=1&challenge=b#c", "?challenge=a&challenge=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		if c := queryValue(u, "challenge"); c != "" && !strings.Contains(u, "challenge") {
			t.Errorf("queryValue(%q) = %q without the parameter", u, c)
		}
	})
}

// FuzzCRCToken checks that no token the X CRC answers can be a JSON object,
// array or string. JSON scalars (null, true, 12345) can: Verify refuses a
// POST whose body is a token (FuzzTwitterCRCSignsNoDelivery).
func FuzzCRCToken(f *testing.F) {
	for _, s := range []string{"", "Y2xhc3NpYyBzdHVmZg", `{"a":1}`, "[1]", "a b", "a-b_c+d/="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if crcToken(s) && (s == "" || len(s) > maxChallenge || strings.ContainsAny(s, "{}[]\" :,")) {
			t.Errorf("crcToken(%q) = true; want false", s)
		}
	})
}

// FuzzTwitterCRCSignsNoDelivery checks that whatever token X's CRC answers,
// a POST whose body is that token, signed with the answer, is refused: the
// answer would otherwise be the signature of a forged delivery.
func FuzzTwitterCRCSignsNoDelivery(f *testing.F) {
	for _, s := range []string{"null", "12345", "-1", "true", "Y2xhc3NpYyBzdHVmZg", `{"a":1}`} {
		f.Add(s)
	}
	v, err := New("twitter", Options{Secrets: []string{"consumer-secret"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		crc, err := v.Verify(&Request{Method: http.MethodGet, URL: "https://h.example/x?crc_token=" + url.QueryEscape(tok)}, time.Unix(1700000000, 0))
		if err != nil {
			return // not answered
		}
		var answer struct {
			Token string `json:"response_token"`
		}
		if err := json.Unmarshal(crc.Response.Body, &answer); err != nil {
			t.Fatalf("CRC answer %q: %v", crc.Response.Body, err)
		}
		post := &Request{Method: http.MethodPost, Header: http.Header{"X-Twitter-Webhooks-Signature": {answer.Token}}, Body: []byte(tok)}
		if _, err := v.Verify(post, time.Unix(1700000000, 0)); err == nil {
			t.Errorf("POST body %q with the CRC's answer %q verified", tok, answer.Token)
		}
	})
}
