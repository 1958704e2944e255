package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestCommandsHoldNoSecret runs the commands that read secrets with bad
// ones, and verify with a good one and a bad request: what they print names
// the secret (its field or flag index) and never holds it.
func TestCommandsHoldNoSecret(t *testing.T) {
	const marker = "MRKRq7"
	dir := t.TempDir()
	write := func(name, content string) string { return testkit.WriteFile(t, dir, name, content) }
	bad := write("bad.yaml", "providers:\n  - name: a\n    type: standard-webhooks\n    secrets: [\"whsec_"+marker+"!!\"]\n")
	req := write("req.json", `{"method":"POST","url":"http://127.0.0.1:8080/webhooks/a","headers":{"Stripe-Signature":"t=1700000000,v1=00"},"body":"{}"}`)
	pem := "-----BEGIN PUBLIC KEY-----\n" + marker + "\n-----END PUBLIC KEY-----\n"
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{name: "check-config", args: []string{"check-config", "-config", bad}, code: 1, want: "providers[0] (a).secrets[0]: standard-webhooks: "},
		{name: "serve", args: []string{"serve", "-config", bad}, code: 1, want: "providers[0] (a).secrets[0]: standard-webhooks: "},
		{name: "sign with a config", args: []string{"sign", "-config", bad, "-provider", "a"}, code: 1, want: "providers[0] (a).secrets[0]: standard-webhooks: "},
		{name: "sign", args: []string{"sign", "-type", "standard-webhooks", "-secret", "whsec_" + marker + "!!"}, code: 2, want: "secret 0: not base64"},
		{name: "verify", args: []string{"verify", "-type", "standard-webhooks", "-secret", "whsec_" + marker + "!!", "-request", req}, code: 2, want: "secret 0: not base64"},
		{name: "verify, second key", args: []string{"verify", "-type", "jwt", "-option", "algorithms=RS256", "-public-key", pem, "-request", req}, code: 2, want: "jwt: secret 0: "},
		{name: "verify, invalid request", args: []string{"verify", "-type", "stripe", "-secret", marker + "-stripe-secret", "-at", "1700000000", "-request", req}, code: 1, want: "invalid: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			code := Run(context.Background(), c.args, &out, &out)
			if code != c.code || !strings.Contains(out.String(), c.want) {
				t.Errorf("exit %d, output:\n%s\nwant exit %d and %q", code, out.String(), c.code, c.want)
			}
			if strings.Contains(out.String(), marker) {
				t.Errorf("output holds the secret:\n%s", out.String())
			}
		})
	}
}
