package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"

	"hookgate/verify"
)

func init() {
	addPresetCases(presetCase{name: "box", secrets: [2]string{"SamplePrimaryKey0123456789abcdef", "SampleSecondaryKeyfedcba987654321"}})
}

// TestBox covers Box's headers around the recomputed vectors box-*: key
// slots, version and algorithm checks, and the timestamp.
func TestBox(t *testing.T) {
	const (
		primary   = "SamplePrimaryKey0123456789abcdef"
		secondary = "SampleSecondaryKeyfedcba987654321"
		ts        = "2023-11-14T14:13:20-08:00"
		sigP      = "AMJi9QmJ1rYkoyvXE/IBCg75buZetcbjdiCVEOw4b3A="
		sigS      = "Lk1ZzobIRedsAcoLcX7iXJOGz26SSTHpiToNEABuJx0="
		body      = `{"type":"webhook_event","id":"eb0c4e06-751f-442c-86f8-fd5bb404dbec","created_at":"2023-11-14T14:13:20-08:00","trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file"}}`
	)
	clock := time.Unix(1700000060, 0)
	header := func(kv ...string) http.Header {
		h := http.Header{
			"Box-Delivery-Timestamp":  {ts},
			"Box-Signature-Version":   {"1"},
			"Box-Signature-Algorithm": {"HmacSHA256"},
			"Box-Signature-Primary":   {sigP},
			"Box-Signature-Secondary": {sigS},
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				h.Del(kv[i])
			} else {
				h.Set(kv[i], kv[i+1])
			}
		}
		return h
	}
	sign := func(key, ts string) string {
		return base64.StdEncoding.EncodeToString(hmacOf(sha256.New, key, body+ts))
	}
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		at      time.Time
		index   int
		want    error // nil: valid
	}{
		{"primary", []string{primary, secondary}, header(), clock, 0, nil},
		{"secondary key only", []string{"RotatedPrimaryKeyNotYetDeployed", secondary}, header(), clock, 1, nil},
		{"keys in the other order", []string{secondary, primary}, header(), clock, 0, nil},
		{"primary header only", []string{"x", primary}, header("Box-Signature-Secondary", ""), clock, 1, nil},
		{"secondary header only", []string{secondary}, header("Box-Signature-Primary", ""), clock, 0, nil},
		{"primary garbage, secondary good", []string{secondary}, header("Box-Signature-Primary", "!!!"), clock, 0, nil},
		{"UTC timestamp", []string{primary}, header("Box-Delivery-Timestamp", "2023-11-14T22:13:20Z", "Box-Signature-Primary", sign(primary, "2023-11-14T22:13:20Z")), clock, 0, nil},
		{"no key matches", []string{"a", "b"}, header(), clock, 0, verify.ErrMismatch},
		{"timestamp changed", []string{primary}, header("Box-Delivery-Timestamp", "2023-11-14T22:13:20Z"), clock, 0, verify.ErrMismatch},
		{"no signatures", []string{primary}, header("Box-Signature-Primary", "", "Box-Signature-Secondary", ""), clock, 0, verify.ErrNoSignature},
		{"no usable signature", []string{primary}, header("Box-Signature-Primary", "abc", "Box-Signature-Secondary", "def"), clock, 0, verify.ErrMalformed},
		{"no timestamp", []string{primary}, header("Box-Delivery-Timestamp", ""), clock, 0, verify.ErrNoSignature},
		{"unix timestamp", []string{primary}, header("Box-Delivery-Timestamp", "1700000000", "Box-Signature-Primary", sign(primary, "1700000000")), clock, 0, verify.ErrMalformed},
		{"no version", []string{primary}, header("Box-Signature-Version", ""), clock, 0, verify.ErrNoSignature},
		{"version 2", []string{primary}, header("Box-Signature-Version", "2"), clock, 0, verify.ErrMalformed},
		{"no algorithm", []string{primary}, header("Box-Signature-Algorithm", ""), clock, 0, verify.ErrNoSignature},
		{"other algorithm", []string{primary}, header("Box-Signature-Algorithm", "HmacSHA1"), clock, 0, verify.ErrMalformed},
		{"at the old edge", []string{primary}, header(), time.Unix(1700000600, 0), 0, nil},
		{"too old", []string{primary}, header(), time.Unix(1700000601, 0), 0, verify.ErrTooOld},
		{"too new", []string{primary}, header(), time.Unix(1699999399, 0), 0, verify.ErrTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := verify.New("box", Options{Secrets: tt.secrets})
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.Verify(&verify.Request{Header: tt.header, Body: []byte(body)}, tt.at)
			if tt.want == nil && (err != nil || res.SecretIndex != tt.index) || !errors.Is(err, tt.want) {
				t.Errorf("Verify(%s) = %+v, %v; want index %d, %v", tt.name, res, err, tt.index, tt.want)
			}
		})
	}
}

// TestBoxSign checks that Sign sends one signature per configured key, as
// Box does, and that they match the vector box-valid-primary.
func TestBoxSign(t *testing.T) {
	const body = `{"type":"webhook_event","id":"eb0c4e06-751f-442c-86f8-fd5bb404dbec","created_at":"2023-11-14T14:13:20-08:00","trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file"}}`
	r := &verify.Request{Body: []byte(body)}
	o := Options{Secrets: []string{"SamplePrimaryKey0123456789abcdef", "SampleSecondaryKeyfedcba987654321"}}
	if err := verify.Sign("box", r, o, time.Unix(1700000000, 0)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Box-Delivery-Timestamp":  "2023-11-14T22:13:20Z",
		"Box-Signature-Version":   "1",
		"Box-Signature-Algorithm": "HmacSHA256",
		// The vector signs "-08:00", this one "Z": the MACs differ.
		"Box-Signature-Primary":   base64.StdEncoding.EncodeToString(hmacOf(sha256.New, o.Secrets[0], body+"2023-11-14T22:13:20Z")),
		"Box-Signature-Secondary": base64.StdEncoding.EncodeToString(hmacOf(sha256.New, o.Secrets[1], body+"2023-11-14T22:13:20Z")),
	}
	for k, w := range want {
		if got := r.Header.Get(k); got != w {
			t.Errorf("Sign(box) header %s = %q; want %q", k, got, w)
		}
	}
}
