package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/testkit"
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

// TestSignCurlSendsBodyLiterally: the command sign -curl prints sends the
// body byte for byte, one that starts with @ included (curl's
// --data-binary and -d read the file it names), with newlines, a CR,
// quotes and shell characters. The printed command is run by sh with curl
// replaced by a function that records its arguments, and, where curl is
// installed, with curl against a server whose received request verify
// accepts. A body with a NUL byte, which no shell argument carries, is
// refused.
func TestSignCurlSendsBodyLiterally(t *testing.T) {
	const body = "@/etc/hostname\nline 2 'quoted' \"double\" $HOME `id` \\ \r\nend"
	dir := t.TempDir()
	bodyFile := testkit.WriteFile(t, dir, "body", body)
	type request struct {
		header http.Header
		body   []byte
	}
	received := make(chan request, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case received <- request{r.Header.Clone(), b}:
		default:
		}
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	if code := Run(context.Background(), []string{"sign", "-type", "stripe", "-secret", "whsec_x", "-body", bodyFile, "-url", srv.URL + "/in", "-curl"}, &out, &errOut); code != 0 {
		t.Fatalf("sign -curl: exit %d\n%s", code, errOut.String())
	}

	// curl's arguments as sh gives them.
	argsFile := filepath.Join(dir, "args")
	fake := `curl() { for a in "$@"; do printf '%s\0' "$a"; done > "$ARGS"; }` + "\n"
	sh := exec.Command("sh", "-c", fake+out.String())
	sh.Env = append(os.Environ(), "ARGS="+argsFile)
	if b, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("sh: %v\n%s\n%s", err, b, out.String())
	}
	raw, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	sent, literal := "", false
	for i, a := range args[:len(args)-1] {
		switch a {
		case "--data-raw":
			sent, literal = args[i+1], true
		case "-d", "--data", "--data-binary", "--data-ascii":
			sent, literal = args[i+1], !strings.HasPrefix(args[i+1], "@")
		}
	}
	if !literal || sent != body {
		t.Errorf("curl gets the body as %q (sent as it is: %t); want %q sent as it is\n%s", sent, literal, body, out.String())
	}

	if _, err := exec.LookPath("curl"); err == nil {
		if b, err := exec.Command("sh", "-c", out.String()).CombinedOutput(); err != nil {
			t.Fatalf("curl: %v\n%s", err, b)
		}
		got := <-received // curl got the answer: the handler ran
		if string(got.body) != body {
			t.Fatalf("the server got the body %q; want %q", got.body, body)
		}
		hdr := map[string]string{}
		for k := range got.header {
			hdr[k] = got.header.Get(k)
		}
		req, _ := json.Marshal(map[string]any{"method": "POST", "url": srv.URL + "/in", "headers": hdr, "body": string(got.body)})
		reqFile := testkit.WriteFile(t, dir, "received.json", string(req))
		var vout bytes.Buffer
		if code := Run(context.Background(), []string{"verify", "-type", "stripe", "-secret", "whsec_x", "-request", reqFile}, &vout, &vout); code != 0 {
			t.Errorf("verify of what curl sent: exit %d: %s", code, vout.String())
		}
	} else {
		t.Log("curl is not installed: only its arguments were checked")
	}

	nul := testkit.WriteFile(t, dir, "nul", "a\x00b")
	out.Reset()
	errOut.Reset()
	if code := Run(context.Background(), []string{"sign", "-type", "stripe", "-secret", "whsec_x", "-body", nul, "-curl"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "NUL") {
		t.Errorf("sign -curl of a body with a NUL byte: exit %d, %q; want 2 naming the NUL byte", code, errOut.String())
	}
}

// TestSignRefusesExpiredSecrets: sign -config refuses, exit 1 naming the
// expiry, a provider whose secrets are all past their not_after at the
// signing time, where it printed a request that verify (and the gateway)
// refuse as "secret expired"; with -at before then it signs, and a
// rotation's secret in use signs.
func TestSignRefusesExpiredSecrets(t *testing.T) {
	dir := t.TempDir()
	cfg := testkit.WriteFile(t, dir, "c.yaml", "data_dir: "+filepath.Join(dir, "data")+`
providers:
  - name: old
    type: stripe
    secrets: [{value: whsec_a, not_after: "2020-01-01T00:00:00Z"}, {value: whsec_b, not_after: "2021-06-01T00:00:00Z"}]
  - name: rotated
    type: stripe
    secrets: [{value: whsec_a, not_after: "2020-01-01T00:00:00Z"}, whsec_c]
`)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(context.Background(), args, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	signVerify := func(provider string, at ...string) (string, int, string) {
		t.Helper()
		code, req, msg := run(append([]string{"sign", "-config", cfg, "-provider", provider}, at...)...)
		if code != 0 {
			return msg, code, ""
		}
		f := testkit.WriteFile(t, dir, provider+".json", req)
		vargs := []string{"verify", "-config", cfg, "-provider", provider, "-request", f}
		if len(at) > 0 {
			vargs = append(vargs, "-at", at[1])
		}
		_, vout, verr := run(vargs...)
		return msg, code, vout + verr
	}
	if msg, code, _ := signVerify("old"); code != 1 || !strings.Contains(msg, "past its not_after") || !strings.Contains(msg, "2021-06-01T00:00:00Z") {
		t.Errorf("sign with every secret expired: exit %d, %q; want exit 1 naming the last expiry", code, msg)
	}
	if msg, code, v := signVerify("old", "-at", "1500000000"); code != 0 || !strings.Contains(v, "valid: stripe, secret 0 matched") {
		t.Errorf("sign -at before the expiry: exit %d %q, verify %q; want a valid request", code, msg, v)
	}
	if msg, code, v := signVerify("rotated"); code != 0 || !strings.Contains(v, "valid: stripe, secret 1 matched") {
		t.Errorf("sign with a secret in use: exit %d %q, verify %q; want a valid request signed with it", code, msg, v)
	}
}
