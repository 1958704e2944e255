package verify_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

func TestBraintreeHandshake(t *testing.T) {
	o := verify.Options{Secrets: []string{"integration_public_key:integration_private_key", "second_public_key:second_private_key"}}
	v, err := verify.New("braintree", o)
	if err != nil {
		t.Fatal(err)
	}
	get := func(q string) (verify.Result, error) {
		return v.Verify(&verify.Request{Method: "GET", URL: "https://example.com/hooks/braintree?" + q}, now)
	}
	// braintree_python tests/unit/test_webhooks.py, test_verify_returns_a_correct_challenge_response.
	res, err := get("bt_challenge=20f9f8ed05f77439fe955c977e4c8a53")
	if err != nil || res.Response == nil {
		t.Fatalf("challenge: %+v, %v", res, err)
	}
	if got := string(res.Response.Body); got != "integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4" || res.Response.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("challenge answer = %q (%s)", got, res.Response.ContentType)
	}
	for q, want := range map[string]error{
		"":                                    verify.ErrNoSignature,
		"bt_challenge=":                       verify.ErrNoSignature,
		"bt_challenge=bad+challenge":          verify.ErrMalformed,
		"bt_challenge=20F9F8ED05F77439FE955C": verify.ErrMalformed, // upper case
		"bt_challenge=0123456789abcdef012":    verify.ErrMalformed, // 19
		"bt_challenge=" + "0123456789abcdef0123456789abcdef0": verify.ErrMalformed, // 33
	} {
		if _, err := get(q); !errors.Is(err, want) {
			t.Errorf("GET ?%s: %v; want %v", q, err, want)
		}
	}
	// With the first key pair expired, the second answers.
	o.NotAfter = []time.Time{now.Add(-time.Second)}
	v, err = verify.New("braintree", o)
	if err != nil {
		t.Fatal(err)
	}
	res, err = get("bt_challenge=20f9f8ed05f77439fe955c977e4c8a53")
	if err != nil || res.Response == nil || string(res.Response.Body[:len("second_public_key|")]) != "second_public_key|" {
		t.Errorf("challenge with the first pair expired: %+v, %v", res, err)
	}
}

// TestBraintreeFields: a verified notification hands on its kind and
// timestamp, read from the signed XML, as JSON.
func TestBraintreeFields(t *testing.T) {
	o := verify.Options{Secrets: []string{"pub:priv"}}
	r := &verify.Request{Method: "POST", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<notification><timestamp type="datetime">2023-11-14T22:13:20Z</timestamp><kind>dispute_opened</kind><subject><dispute><id>evt_1</id></dispute></subject></notification>`)}
	if err := verify.Sign("braintree", r, o, now); err != nil {
		t.Fatal(err)
	}
	v, err := verify.New("braintree", o)
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.Verify(r, now)
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]string
	if err := json.Unmarshal(res.Payload, &f); err != nil || f["kind"] != "dispute_opened" || f["timestamp"] != "2023-11-14T22:13:20Z" {
		t.Errorf("Payload = %s (%v)", res.Payload, err)
	}
	form, _ := url.ParseQuery(string(r.Body))
	if form.Get("bt_signature") == "" || form.Get("bt_payload") == "" {
		t.Errorf("signed body %q lacks bt_signature or bt_payload", r.Body)
	}

	// A signed payload that is not a notification's XML verifies, with
	// nothing read from it.
	r = &verify.Request{Method: "POST", Body: []byte("not xml")}
	if err := verify.Sign("braintree", r, o, now); err != nil {
		t.Fatal(err)
	}
	if res, err := v.Verify(r, now); err != nil || res.Payload != nil {
		t.Errorf("non-XML payload: %+v, %v", res, err)
	}
}

func TestBraintreeSecrets(t *testing.T) {
	for _, s := range []string{"no-colon", ":priv", "pub:"} {
		_, err := verify.New("braintree", verify.Options{Secrets: []string{s}})
		var se *verify.SecretError
		if !errors.As(err, &se) {
			t.Errorf("New(braintree, %q) = %v; want a SecretError", s, err)
		}
	}
}
