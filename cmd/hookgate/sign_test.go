package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestURLFlags: -gateway is a gateway's base URL (the provider's path is
// appended) and -url a whole request URL, in every command that has them.
func TestURLFlags(t *testing.T) {
	cfg := archiveFixture(t, true)
	for _, c := range []struct {
		args []string
		want string
	}{
		{args: []string{"sign", "-type", "stripe", "-secret", "whsec_x"}, want: "http://127.0.0.1:8080/webhooks/stripe"},
		{args: []string{"sign", "-type", "stripe", "-secret", "whsec_x", "-gateway", "http://gw:1"}, want: "http://gw:1/webhooks/stripe"},
		{args: []string{"sign", "-type", "stripe", "-secret", "whsec_x", "-url", "http://gw:1/in"}, want: "http://gw:1/in"},
		{args: []string{"sign", "-config", cfg, "-provider", "shop"}, want: "http://127.0.0.1:8080/webhooks/shop"},
		{args: []string{"sign", "-config", cfg, "-provider", "shop", "-gateway", "https://gw:2/"}, want: "https://gw:2/webhooks/shop"},
		{args: []string{"sign", "-config", cfg, "-provider", "shop", "-url", "https://gw:2/x"}, want: "https://gw:2/x"},
	} {
		var out bytes.Buffer
		if code := Run(context.Background(), c.args, &out, &out); code != 0 {
			t.Errorf("hookgate %v: exit %d\n%s", c.args, code, out.String())
			continue
		}
		var req struct{ URL string }
		if err := json.Unmarshal(out.Bytes(), &req); err != nil || req.URL != c.want {
			t.Errorf("hookgate %v: url %q, %v; want %q", c.args, req.URL, err, c.want)
		}
	}
	for _, c := range commands {
		flags := flagsOf(c)
		if flags["url"] && c.name != "sign" {
			t.Errorf("%s has -url; only sign takes a whole request URL", c.name)
		}
	}
}

// TestSignThenVerify signs a request with `hookgate sign` and checks it
// with `hookgate verify`, for a few schemes.
func TestSignThenVerify(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		typ    string
		secret string
		opts   []string
	}{
		{typ: "stripe", secret: "whsec_sign_test", opts: nil},
		{typ: "github", secret: "It's a Secret to Everybody", opts: nil},
		{typ: "standard-webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", opts: nil},
		{typ: "hmac", secret: "s3cret", opts: []string{"-option", "header=X-Sig", "-option", "prefix=sha256="}},
	} {
		t.Run(c.typ, func(t *testing.T) {
			args := append([]string{"sign", "-type", c.typ, "-secret", c.secret, "-at", "1700000000"}, c.opts...)
			var out, errOut bytes.Buffer
			if code := Run(context.Background(), args, &out, &errOut); code != 0 {
				t.Fatalf("sign exit %d: %s", code, errOut.String())
			}
			f := filepath.Join(dir, c.typ+".json")
			os.WriteFile(f, out.Bytes(), 0o600)
			vargs := append([]string{"verify", "-type", c.typ, "-secret", c.secret, "-at", "1700000001", "-request", f}, c.opts...)
			var vout bytes.Buffer
			if code := Run(context.Background(), vargs, &vout, &vout); code != 0 {
				t.Fatalf("verify of a signed request: exit %d: %s\n%s", code, vout.String(), out.String())
			}
			vargs[4] = "wrong-secret"
			if c.typ == "standard-webhooks" {
				vargs[4] = "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA=="
			}
			vout.Reset()
			if code := Run(context.Background(), vargs, &vout, &vout); code != 1 {
				t.Fatalf("verify with a wrong secret: exit %d: %s", code, vout.String())
			}
		})
	}
	// A body that is not UTF-8 goes through the request file byte for
	// byte (as body_base64), and still verifies.
	body := filepath.Join(dir, "latin1")
	os.WriteFile(body, []byte("name=Jos\xe9"), 0o600)
	var signed, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"sign", "-type", "github", "-secret", "s", "-body", body}, &signed, &errOut); code != 0 {
		t.Fatalf("sign of a Latin-1 body: exit %d: %s", code, errOut.String())
	}
	f := filepath.Join(dir, "latin1.json")
	os.WriteFile(f, signed.Bytes(), 0o600)
	var vout bytes.Buffer
	if code := Run(context.Background(), []string{"verify", "-type", "github", "-secret", "s", "-request", f}, &vout, &vout); code != 0 {
		t.Errorf("verify of a signed Latin-1 body: exit %d: %s\n%s", code, vout.String(), signed.String())
	}
	var curl bytes.Buffer
	if code := Run(context.Background(), []string{"sign", "-type", "stripe", "-secret", "whsec_x", "-curl"}, &curl, &curl); code != 0 || !strings.HasPrefix(curl.String(), "curl -sS -X POST 'http://127.0.0.1:8080/webhooks/stripe'") || !strings.Contains(curl.String(), "-H 'Stripe-Signature: t=") {
		t.Errorf("sign -curl: exit %d\n%s", code, curl.String())
	}
}
