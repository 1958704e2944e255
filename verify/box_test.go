package verify_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

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
		{name: "primary", secrets: []string{primary, secondary}, header: header(), at: clock},
		{name: "secondary key only", secrets: []string{"RotatedPrimaryKeyNotYetDeployed", secondary}, header: header(), at: clock, index: 1},
		{name: "keys in the other order", secrets: []string{secondary, primary}, header: header(), at: clock},
		{name: "primary header only", secrets: []string{"x", primary}, header: header("Box-Signature-Secondary", ""), at: clock, index: 1},
		{name: "secondary header only", secrets: []string{secondary}, header: header("Box-Signature-Primary", ""), at: clock},
		{name: "primary garbage, secondary good", secrets: []string{secondary}, header: header("Box-Signature-Primary", "!!!"), at: clock},
		{name: "UTC timestamp", secrets: []string{primary}, header: header("Box-Delivery-Timestamp", "2023-11-14T22:13:20Z", "Box-Signature-Primary", sign(primary, "2023-11-14T22:13:20Z")), at: clock},
		{name: "no key matches", secrets: []string{"a", "b"}, header: header(), at: clock, want: verify.ErrMismatch},
		{name: "timestamp changed", secrets: []string{primary}, header: header("Box-Delivery-Timestamp", "2023-11-14T22:13:20Z"), at: clock, want: verify.ErrMismatch},
		{name: "no signatures", secrets: []string{primary}, header: header("Box-Signature-Primary", "", "Box-Signature-Secondary", ""), at: clock, want: verify.ErrNoSignature},
		{name: "no usable signature", secrets: []string{primary}, header: header("Box-Signature-Primary", "abc", "Box-Signature-Secondary", "def"), at: clock, want: verify.ErrMalformed},
		{name: "no timestamp", secrets: []string{primary}, header: header("Box-Delivery-Timestamp", ""), at: clock, want: verify.ErrNoSignature},
		{name: "unix timestamp", secrets: []string{primary}, header: header("Box-Delivery-Timestamp", "1700000000", "Box-Signature-Primary", sign(primary, "1700000000")), at: clock, want: verify.ErrMalformed},
		{name: "no version", secrets: []string{primary}, header: header("Box-Signature-Version", ""), at: clock, want: verify.ErrNoSignature},
		{name: "version 2", secrets: []string{primary}, header: header("Box-Signature-Version", "2"), at: clock, want: verify.ErrMalformed},
		{name: "no algorithm", secrets: []string{primary}, header: header("Box-Signature-Algorithm", ""), at: clock, want: verify.ErrNoSignature},
		{name: "other algorithm", secrets: []string{primary}, header: header("Box-Signature-Algorithm", "HmacSHA1"), at: clock, want: verify.ErrMalformed},
		{name: "at the old edge", secrets: []string{primary}, header: header(), at: time.Unix(1700000600, 0)},
		{name: "too old", secrets: []string{primary}, header: header(), at: time.Unix(1700000601, 0), want: verify.ErrTooOld},
		{name: "too new", secrets: []string{primary}, header: header(), at: time.Unix(1699999399, 0), want: verify.ErrTooNew},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustVerifier(t, "box", Options{Secrets: tt.secrets})
			checkVerifyIndex(t, v, &verify.Request{Header: tt.header, Body: []byte(body)}, tt.at, tt.want, tt.index)
		})
	}
}

// TestBoxSign checks that Sign sends one signature per configured key, as
// Box does, and that they match the vector box-valid-primary.
func TestBoxSign(t *testing.T) {
	const body = `{"type":"webhook_event","id":"eb0c4e06-751f-442c-86f8-fd5bb404dbec","created_at":"2023-11-14T14:13:20-08:00","trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file"}}`
	r := &verify.Request{Body: []byte(body)}
	o := Options{Secrets: []string{"SamplePrimaryKey0123456789abcdef", "SampleSecondaryKeyfedcba987654321"}}
	checkSign(t, "box", r, o, time.Unix(1700000000, 0), http.Header{
		"Box-Delivery-Timestamp":  {"2023-11-14T22:13:20Z"},
		"Box-Signature-Version":   {"1"},
		"Box-Signature-Algorithm": {"HmacSHA256"},
		// The vector signs "-08:00", this one "Z": the MACs differ.
		"Box-Signature-Primary":   {macB64(sha256.New, o.Secrets[0], body+"2023-11-14T22:13:20Z")},
		"Box-Signature-Secondary": {macB64(sha256.New, o.Secrets[1], body+"2023-11-14T22:13:20Z")},
	})
}
