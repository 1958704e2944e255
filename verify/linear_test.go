package verify_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestLinearTimestamp covers where Linear's freshness comes from: the
// signed body field webhookTimestamp, never the unsigned Linear-Timestamp
// header unless the body has no such field.
func TestLinearTimestamp(t *testing.T) {
	const secret = "lin_wh_1234567890abcdefTESTSECRET"
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	oldMS := strconv.FormatInt(now.Add(-2*time.Minute).UnixMilli(), 10)
	tests := []struct {
		name   string
		body   string
		header string // Linear-Timestamp
		want   error  // nil: valid
		detail string
	}{
		{name: "body field", body: `{"type":"Issue","webhookTimestamp":` + ms + `}`, header: ms},
		{name: "body field first", body: `{"webhookTimestamp":` + ms + `,"data":{"webhookTimestamp":1}}`, header: ms},
		{name: "body field after nested ones", body: `{"data":{"webhookTimestamp":1,"s":"}\"{"},"list":[{"webhookTimestamp":2}],"webhookTimestamp":` + ms + `}`, header: ms},
		{name: "header ignored when the body has the field", body: `{"webhookTimestamp":` + ms + `}`, header: "garbage"},
		{name: "replay with a fresh header", body: `{"type":"Issue","webhookTimestamp":` + oldMS + `}`, header: ms, want: verify.ErrTooOld, detail: "body field webhookTimestamp"},
		{name: "nested field only: header used", body: `{"data":{"webhookTimestamp":` + oldMS + `}}`, header: ms},
		{name: "no field: old header", body: `{"type":"Issue"}`, header: oldMS, want: verify.ErrTooOld, detail: "header Linear-Timestamp"},
		{name: "not JSON: header used", body: `type=Issue`, header: ms},
		{name: "field is a string", body: `{"webhookTimestamp":"` + ms + `"}`, header: ms, want: verify.ErrMalformed, detail: "webhookTimestamp"},
		{name: "field is fractional", body: `{"webhookTimestamp":` + ms + `.5}`, header: ms, want: verify.ErrMalformed, detail: "webhookTimestamp"},
		{name: "field in seconds", body: `{"webhookTimestamp":` + strconv.FormatInt(now.Unix(), 10) + `}`, header: ms, want: verify.ErrTooOld, detail: "webhookTimestamp"},
		{name: "no field, header malformed", body: `{"type":"Issue"}`, header: "soon", want: verify.ErrMalformed, detail: "Linear-Timestamp"},
		{name: "no header", body: `{"webhookTimestamp":` + ms + `}`, want: verify.ErrNoSignature, detail: "Linear-Timestamp"},
	}
	v := mustVerifier(t, "linear", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Linear-Signature": {hex.EncodeToString(hmacOf(sha256.New, secret, tt.body))}}
			if tt.header != "" {
				h.Set("Linear-Timestamp", tt.header)
			}
			_, err := v.Verify(&verify.Request{Header: h, Body: []byte(tt.body)}, now)
			if !wantErr(err, tt.want) {
				t.Fatalf("Verify(%s) = %v; want %v", tt.name, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("Verify(%s) = %v; want it to name %s", tt.name, err, tt.detail)
			}
		})
	}
}

// TestLinearSign checks that Sign stamps webhookTimestamp into a JSON
// object body, replacing or adding the member without touching the rest,
// and leaves other bodies alone.
func TestLinearSign(t *testing.T) {
	ms := strconv.FormatInt(now.UnixMilli(), 10)
	tests := []struct{ name, body, want string }{
		{"added", `{"type":"Issue","action":"create"}`, `{"webhookTimestamp":` + ms + `,"type":"Issue","action":"create"}`},
		{"added to an empty object", ` { } `, ` {"webhookTimestamp":` + ms + ` } `},
		{"replaced", `{"a":1, "webhookTimestamp" : 1 ,"b":"x"}`, `{"a":1, "webhookTimestamp" : ` + ms + ` ,"b":"x"}`},
		{"replaced, escaped name", `{"webhook\u0054imestamp":"old"}`, `{"webhook\u0054imestamp":` + ms + `}`},
		{"nested one kept", `{"data":{"webhookTimestamp":1}}`, `{"webhookTimestamp":` + ms + `,"data":{"webhookTimestamp":1}}`},
		{"keeps bytes", "{\n  \"note\": \"caf\u00e9 \\u00e9 <>\"\n}\n", "{\"webhookTimestamp\":" + ms + ",\n  \"note\": \"caf\u00e9 \\u00e9 <>\"\n}\n"},
		{"not JSON", "xxxx", "xxxx"},
		{"array", `[{"a":1}]`, `[{"a":1}]`},
		{"empty", "", ""},
	}
	const secret = "lin_wh_1234567890abcdefTESTSECRET"
	v := mustVerifier(t, "linear", Options{Secrets: []string{secret}})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &verify.Request{Body: []byte(tt.body)}
			if err := verify.Sign("linear", r, Options{Secrets: []string{secret}}, now); err != nil {
				t.Fatal(err)
			}
			if string(r.Body) != tt.want {
				t.Errorf("Sign(%s) body = %q; want %q", tt.name, r.Body, tt.want)
			}
			if strings.HasPrefix(tt.want, "{") && !json.Valid(r.Body) {
				t.Errorf("Sign(%s) body = %q; not valid JSON", tt.name, r.Body)
			}
			if got := r.Header.Get("Linear-Timestamp"); got != ms {
				t.Errorf("Sign(%s) Linear-Timestamp = %q; want %q", tt.name, got, ms)
			}
			if got, want := r.Header.Get("Linear-Signature"), hex.EncodeToString(hmacOf(sha256.New, secret, tt.want)); got != want {
				t.Errorf("Sign(%s) Linear-Signature = %q; want %q", tt.name, got, want)
			}
			if _, err := v.Verify(r, now); err != nil {
				t.Errorf("Verify(%s) = %v; want valid", tt.name, err)
			}
		})
	}
}
