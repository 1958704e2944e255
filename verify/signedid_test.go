package verify_test

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// signedReq signs body for preset with secret (o's other options) at now,
// posted to url as a form.
func signedReq(t *testing.T, preset string, o verify.Options, url, body string) *verify.Request {
	t.Helper()
	r := &verify.Request{Method: "POST", URL: url, Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte(body)}
	if err := verify.Sign(preset, r, o, now); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestBraintreeIDAndFields: a Braintree notification is identified by
// the SHA-256 of its signed payload (two of one kind in one second are
// two events), and a form that repeats bt_payload or bt_signature is
// refused (a consumer that reads the last would read an unsigned one).
func TestBraintreeIDAndFields(t *testing.T) {
	o := verify.Options{Secrets: []string{"pub:priv"}}
	v, err := verify.New("braintree", o)
	if err != nil {
		t.Fatal(err)
	}
	xml := func(sub string) string {
		return `<notification><timestamp type="datetime">2026-12-04T10:00:00Z</timestamp><kind>subscription_charged_successfully</kind><subject><subscription><id>` + sub + `</id></subscription></subject></notification>`
	}
	a := signedReq(t, "braintree", o, "https://example.com/bt", xml("sub_A"))
	b := signedReq(t, "braintree", o, "https://example.com/bt", xml("sub_B"))
	ra, err := v.Verify(a, now)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := v.Verify(b, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ra.ID, "sha256:") || ra.ID == rb.ID {
		t.Errorf("IDs %q and %q; want two sha256: IDs", ra.ID, rb.ID)
	}
	// The same payload, its form fields in another order: the same event.
	sig, _ := rawField(a.Body, "bt_signature")
	pay, _ := rawField(a.Body, "bt_payload")
	swapped := &verify.Request{Method: "POST", URL: a.URL, Header: a.Header, Body: []byte("bt_payload=" + pay + "&bt_signature=" + sig)}
	if rs, err := v.Verify(swapped, now); err != nil || rs.ID != ra.ID {
		t.Errorf("reordered form: %q, %v; want ID %q", rs.ID, err, ra.ID)
	}
	forged := &verify.Request{Method: "POST", URL: a.URL, Header: a.Header, Body: append(append([]byte{}, a.Body...), "&bt_payload=PG5vdGlmaWNhdGlvbi8+"...)}
	if _, err := v.Verify(forged, now); !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("a second bt_payload: %v; want ErrMalformed", err)
	}
}

// rawField is the raw value of the first field name of a form body.
func rawField(body []byte, name string) (string, bool) {
	for _, kv := range strings.Split(string(body), "&") {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v, true
		}
	}
	return "", false
}

// TestCanonicalFormIDs: Mandrill and Plivo sign the decoded, sorted form
// parameters, not the body's bytes, so their event ID is the SHA-256 of
// what is signed: the same form encoded again (reordered, an empty pair
// added) is the same event, and Plivo's per-attempt nonce does not make a
// retry a new one.
func TestCanonicalFormIDs(t *testing.T) {
	for _, c := range []struct {
		preset, secret string
		body, again    string
	}{
		{"mandrill", "mandrill-key", "mandrill_events=%5B%7B%22event%22%3A%22send%22%7D%5D", "&mandrill_events=%5b%7b%22event%22%3a%22send%22%7d%5d&"},
		{"plivo", "plivo-auth-token", "CallUUID=abc&From=123&To=456", "To=456&From=123&&CallUUID=abc"},
	} {
		o := verify.Options{Secrets: []string{c.secret}}
		v, err := verify.New(c.preset, o)
		if err != nil {
			t.Fatal(err)
		}
		url := "https://hooks.example.com/webhooks/" + c.preset
		first := signedReq(t, c.preset, o, url, c.body)
		r1, err := v.Verify(first, now)
		if err != nil {
			t.Fatalf("%s: %v", c.preset, err)
		}
		// The resend: the original's signature headers on the body
		// encoded again (Plivo: signed anew, as a retry gets a new nonce).
		second := &verify.Request{Method: "POST", URL: url, Header: first.Header.Clone(), Body: []byte(c.again)}
		if c.preset == "plivo" {
			second = signedReq(t, c.preset, o, url, c.again)
			if n := "X-Plivo-Signature-V3-Nonce"; second.Header.Get(n) == first.Header.Get(n) {
				t.Fatalf("plivo: Sign gave both attempts the nonce %q", first.Header.Get(n))
			}
		}
		r2, err := v.Verify(second, now)
		if err != nil {
			t.Fatalf("%s, encoded again: %v", c.preset, err)
		}
		if !strings.HasPrefix(r1.ID, "sha256:") || r1.ID != r2.ID {
			t.Errorf("%s: IDs %q and %q; want one sha256: ID for both encodings", c.preset, r1.ID, r2.ID)
		}
	}
}

// TestMondayChallengeBounded: monday.com's URL verification is answered
// without a token, so it echoes at most maxChallenge bytes, like every
// other handshake.
func TestMondayChallengeBounded(t *testing.T) {
	v, err := verify.New("monday", verify.Options{Secrets: []string{"monday-signing-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]error{512: nil, 513: verify.ErrMalformed} {
		body := `{"challenge":"` + strings.Repeat("c", n) + `"}`
		res, err := v.Verify(&verify.Request{Method: "POST", URL: "https://example.com/m", Header: http.Header{}, Body: []byte(body)}, now)
		if !errors.Is(err, want) || (want == nil && (res.Response == nil || len(res.Response.Body) < n)) {
			t.Errorf("challenge of %d bytes: %+v, %v; want %v", n, res.Response, err, want)
		}
	}
}

// TestPlivoNonceHoldsNoParams: Plivo signs "...{sorted params}.{nonce}",
// and the nonce was taken as sent. A captured delivery whose last param
// was TotalAmount=0.00500, with nonce N, verified again as the body
// ...&TotalAmount=0 with the nonce 00500.N: the same signed bytes, a
// different event ID (not a duplicate), for ever. A nonce is now decimal
// digits, as Plivo sends.
func TestPlivoNonceHoldsNoParams(t *testing.T) {
	const token, u, nonce = "plivo-auth-token", "https://hooks.example.com/webhooks/plivo", "05429567804466091622"
	v := mustVerifier(t, "plivo", Options{Secrets: []string{token}})
	req := func(body, nonce, sig string) *verify.Request {
		return &verify.Request{Method: "POST", URL: u, Body: []byte(body), Header: http.Header{
			"Content-Type":               {"application/x-www-form-urlencoded"},
			"X-Plivo-Signature-V3":       {sig},
			"X-Plivo-Signature-V3-Nonce": {nonce},
		}}
	}
	sig := macB64(sha256.New, token, u+"?From15551234StatusdeliveredTo15559876TotalAmount0.00500."+nonce)
	res, err := v.Verify(req("From=15551234&Status=delivered&TotalAmount=0.00500&To=15559876", nonce, sig), now)
	if err != nil {
		t.Fatalf("the captured delivery: %v", err)
	}
	moved, err := v.Verify(req("From=15551234&Status=delivered&To=15559876&TotalAmount=0", "00500."+nonce, sig), now)
	if !errors.Is(err, verify.ErrMalformed) {
		t.Errorf("TotalAmount=0 with the nonce 00500.%s: %+v, %v (the original's ID %s); want ErrMalformed", nonce, moved, err, res.ID)
	}
	for _, bad := range []string{"", "0542956780446609162a", "0x10", "1 2", " 1", strings.Repeat("1", 65)} {
		sig := macB64(sha256.New, token, u+"?From1."+bad)
		if _, err := v.Verify(req("From=1", bad, sig), now); err == nil {
			t.Errorf("nonce %q verified; want it refused", bad)
		}
	}
	for _, good := range []string{"1", strings.Repeat("9", 64)} {
		sig := macB64(sha256.New, token, u+"?From1."+good)
		if _, err := v.Verify(req("From=1", good, sig), now); err != nil {
			t.Errorf("nonce %q: %v; want it verified", good, err)
		}
	}
}

// TestPlivoSignNonce: Sign's nonce is 20 decimal digits, as Plivo's.
func TestPlivoSignNonce(t *testing.T) {
	o := verify.Options{Secrets: []string{"plivo-auth-token"}}
	r := signedReq(t, "plivo", o, "https://hooks.example.com/webhooks/plivo", "From=1")
	if n := r.Header.Get("X-Plivo-Signature-V3-Nonce"); len(n) != 20 || strings.Trim(n, "0123456789") != "" {
		t.Errorf("Sign's nonce %q; want 20 decimal digits", n)
	}
}
