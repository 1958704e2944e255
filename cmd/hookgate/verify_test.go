package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestVerifyCommandVectors runs every vector of the shared catalogue
// (verify/testdata/vectors.json) and of the further providers
// (vectors_more.json) through `hookgate verify`, each vector
// object serving as its own request file, and checks the exit status: 0
// for a valid vector, 1 with a one-line reason for an invalid one.
func TestVerifyCommandVectors(t *testing.T) {
	var raw []json.RawMessage
	for _, f := range []string{"vectors.json", "vectors_more.json"} {
		data, err := os.ReadFile("../../verify/testdata/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var vs []json.RawMessage
		if err := json.Unmarshal(data, &vs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		raw = append(raw, vs...)
	}
	dir := t.TempDir()
	for i, obj := range raw {
		var v struct {
			ID               string          `json:"id"`
			Scheme           string          `json:"scheme"`
			Secret           json.RawMessage `json:"secret"`
			PublicKey        string          `json:"public_key"`
			JWKS             json.RawMessage `json:"jwks"`
			TrustAnchor      string          `json:"trust_anchor_der_b64"`
			Audience         string          `json:"audience"`
			ExpectedEmail    string          `json:"expected_email"`
			Expected         map[string]any  `json:"expected"`
			ExpectedResponse json.RawMessage `json:"expected_response"`
			ToleranceS       int             `json:"tolerance_s"`
			Now              int64           `json:"now"`
			Expect           string          `json:"expect"`
		}
		if err := json.Unmarshal(obj, &v); err != nil {
			t.Fatal(err)
		}
		t.Run(v.ID, func(t *testing.T) {
			typ := v.Scheme
			if typ == "zoom-url-validation" {
				typ = "zoom" // the zoom preset answers its handshake
			}
			reqFile := filepath.Join(dir, strconv.Itoa(i)+".json")
			os.WriteFile(reqFile, obj, 0o600)
			args := []string{"verify", "-type", typ, "-request", reqFile, "-at", strconv.FormatInt(v.Now, 10)}
			for _, s := range vectorSecrets(t, v.Secret) {
				args = append(args, "-secret", s)
			}
			if v.PublicKey != "" {
				args = append(args, "-public-key", v.PublicKey)
			}
			if v.TrustAnchor != "" {
				args = append(args, "-secret", v.TrustAnchor)
			}
			if len(v.JWKS) > 0 {
				f := filepath.Join(dir, strconv.Itoa(i)+".jwks")
				os.WriteFile(f, []byte(`{"keys":`+string(v.JWKS)+`}`), 0o600)
				args = append(args, "-jwks", f)
			}
			if v.Audience != "" {
				args = append(args, "-audience", v.Audience)
			}
			if v.ExpectedEmail != "" {
				args = append(args, "-option", "email="+v.ExpectedEmail)
			}
			for k, opt := range map[string]string{"bundleId": "bundle_id", "environment": "environment", "appAppleId": "app_apple_id"} {
				if x, ok := v.Expected[k]; ok {
					args = append(args, "-option", opt+"="+strings.TrimSuffix(strings.TrimPrefix(jsonString(x), `"`), `"`))
				}
			}
			if p, ok := verify.Lookup(typ); ok && p.Tolerance > 0 && v.ToleranceS > 0 {
				args = append(args, "-tolerance", strconv.Itoa(v.ToleranceS)+"s")
			}
			var out, errOut bytes.Buffer
			code := Run(context.Background(), args, &out, &errOut)
			want := map[string]int{"valid": 0, "invalid": 1}[v.Expect]
			if code != want {
				t.Fatalf("hookgate %s: exit %d; want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, out.String(), errOut.String())
			}
			switch want {
			case 0:
				if !strings.HasPrefix(out.String(), "valid: ") {
					t.Errorf("stdout = %q; want it to start with valid:", out.String())
				}
				if len(v.ExpectedResponse) > 0 && !strings.Contains(out.String(), "handshake: ") {
					t.Errorf("stdout = %q; want the handshake answer", out.String())
				}
			case 1:
				msg := strings.TrimSpace(errOut.String())
				if strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "invalid: ") || !strings.Contains(msg, "verify: ") {
					t.Errorf("stderr = %q; want one line naming the reason", errOut.String())
				}
			}
		})
	}
}

func vectorSecrets(tb testing.TB, raw json.RawMessage) []string {
	tb.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	var pair struct{ Primary, Secondary string }
	if err := json.Unmarshal(raw, &pair); err != nil {
		tb.Fatalf("secret %s: %v", raw, err)
	}
	return []string{pair.Primary, pair.Secondary}
}

func jsonString(x any) string {
	b, _ := json.Marshal(x)
	return string(b)
}

// TestVerifyCommandUsage checks the exit status 2 cases of `hookgate verify`.
func TestVerifyCommandUsage(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "req.json")
	os.WriteFile(good, []byte(`{"headers":{"X-Hub-Signature-256":"sha256=00"},"body":"{}"}`), 0o600)
	garbage := filepath.Join(dir, "garbage.json")
	os.WriteFile(garbage, []byte(`not json`), 0o600)
	for _, c := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{name: "no request", args: []string{"verify", "-type", "github", "-secret", "s"}, code: 2, msg: "-request FILE is required"},
		{name: "no type", args: []string{"verify", "-request", good}, code: 2, msg: "-type TYPE"},
		{name: "unknown type", args: []string{"verify", "-type", "nope", "-secret", "s", "-request", good}, code: 2, msg: `unknown type`},
		{name: "unreadable request", args: []string{"verify", "-type", "github", "-secret", "s", "-request", filepath.Join(dir, "none.json")}, code: 2, msg: "no such file"},
		{name: "garbage request", args: []string{"verify", "-type", "github", "-secret", "s", "-request", garbage}, code: 2, msg: "unusable request file"},
		{name: "bad option", args: []string{"verify", "-type", "github", "-secret", "s", "-option", "colour=blue", "-request", good}, code: 2, msg: "colour"},
		{name: "option not for type", args: []string{"verify", "-type", "github", "-secret", "s", "-option", "issuer=x", "-request", good}, code: 2, msg: "takes no option issuer"},
		{name: "bad clock", args: []string{"verify", "-type", "github", "-secret", "s", "-at", "noon", "-request", good}, code: 2, msg: "-at"},
		{name: "invalid", args: []string{"verify", "-type", "github", "-secret", "s", "-request", good}, code: 1, msg: "invalid: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := Run(context.Background(), c.args, &out, &out); code != c.code || !strings.Contains(out.String(), c.msg) {
				t.Errorf("exit %d, %q; want %d and %q", code, out.String(), c.code, c.msg)
			}
		})
	}
}
