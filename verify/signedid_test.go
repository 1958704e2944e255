package verify_test

import (
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
