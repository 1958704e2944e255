package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// secretMarker is written into the secrets of the configs below: no error
// may hold it.
const secretMarker = "MRKRq7"

// TestConfigErrorsHoldNoSecret loads configs whose secrets (given inline,
// through ${VAR} or in a file) are wrong, or sit where they do not belong:
// every error names the field and the rule it broke, and none holds any
// part of the secret.
func TestConfigErrorsHoldNoSecret(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badWhsec := "whsec_" + secretMarker + "!!"
	badFile := file("bad-whsec", badWhsec+"\n")
	emptyFile := file("empty", "\n")
	missing := filepath.Join(dir, "missing")
	t.Setenv("HG_TEST_SECRET", badWhsec)
	t.Setenv("HG_TEST_LONG_SECRET", secretMarker+"-a-long-secret-value")

	provider := func(typ, rest string) string {
		return "providers:\n  - name: acme\n    type: " + typ + "\n" + rest
	}
	const adminHS = "admin:\n  auth:\n    algorithms: [HS256]\n    issuer: ops\n    audience: hg\n"
	const adminRS = "admin:\n  auth:\n    algorithms: [RS256]\n    issuer: ops\n    audience: hg\n"
	okProvider := provider("stripe", "    secrets: [whsec_x]\n")
	goodPEM := strconv.Quote(mustECPublicPEM(t))
	pem := `"-----BEGIN PUBLIC KEY-----\n` + secretMarker + `\n-----END PUBLIC KEY-----\n"`

	for _, c := range []struct {
		name, src string
		want      []string // substrings of the error: the field and the rule
	}{
		{"not base64", provider("standard-webhooks", `    secrets: ["`+badWhsec+`"]`+"\n"),
			[]string{"providers[0] (acme).secrets[0]: standard-webhooks: ", "not base64"}},
		{"second secret", provider("standard-webhooks", `    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, "`+badWhsec+`"]`+"\n"),
			[]string{"providers[0] (acme).secrets[1]: standard-webhooks: ", "not base64"}},
		{"mapping", provider("standard-webhooks", `    secrets: [{value: "`+badWhsec+`", not_after: 2030-01-01T00:00:00Z}]`+"\n"),
			[]string{"providers[0] (acme).secrets[0]: standard-webhooks: ", "not base64"}},
		{"from the environment", provider("standard-webhooks", `    secrets: ["${HG_TEST_SECRET}"]`+"\n"),
			[]string{"providers[0] (acme).secrets[0]: standard-webhooks: ", "not base64"}},
		{"from a file", provider("standard-webhooks", "    secrets: [{file: "+badFile+"}]\n"),
			[]string{`providers[0] (acme).secrets[0] (file "` + badFile + `"): standard-webhooks: `, "not base64"}},
		{"empty file", provider("stripe", "    secrets: [{file: "+emptyFile+"}]\n"),
			[]string{`providers[0] (acme).secrets[0]: file "` + emptyFile + `" is empty`}},
		{"missing file", provider("stripe", "    secrets: [whsec_a, {file: "+missing+"}]\n"),
			[]string{`providers[0] (acme).secrets[1]: file "` + missing + `": no such file`}},
		{"value and file", provider("stripe", "    secrets: [{value: "+secretMarker+", file: "+badFile+"}]\n"),
			[]string{"providers[0] (acme).secrets[0]: line 4: a secret mapping takes value or file, not both"}},
		{"misspelt key", provider("stripe", "    secrets:\n      - {value: "+secretMarker+", not_afer: 2030-01-01T00:00:00Z}\n"),
			[]string{`providers[0] (acme).secrets[0]: line 5: unknown key "not_afer"`}},
		{"value not a string", provider("stripe", "    secrets:\n      - {value: ["+secretMarker+"]}\n"),
			[]string{"providers[0] (acme).secrets[0]: line 5: value must be a string"}},
		{"a string, not a list", provider("stripe", "    secrets: "+secretMarker+"-a-long-secret\n"),
			[]string{"providers[0] (acme).secrets: line 4: must be a list"}},
		{"${VAR}, not a list", provider("stripe", "    secrets: ${HG_TEST_LONG_SECRET}\n"),
			[]string{"providers[0] (acme).secrets: line 4: must be a list"}},
		{"PEM key", provider("jwt", "    options: {algorithms: [RS256]}\n    secrets: ["+pem+"]\n"),
			[]string{"providers[0] (acme).secrets[0]: jwt: "}},
		{"Ed25519 key", provider("discord", "    secrets: ["+secretMarker+"notakey]\n"),
			[]string{"providers[0] (acme).secrets[0]: discord-ed25519: ", "not an Ed25519 public key"}},
		{"user:pass", provider("basic-auth", "    secrets: ["+secretMarker+"nocolon]\n"),
			[]string{"providers[0] (acme).secrets[0]: basic-auth: is not user:pass"}},
		{"JWK", provider("jwt", "    options: {algorithms: [ES256]}\n    secrets: ['{\"kty\":\""+secretMarker+"\"}']\n"),
			[]string{"providers[0] (acme).secrets[0]: jwt: JWK kty is not RSA, EC or OKP"}},
		{"verify_token where it does not apply", provider("stripe", "    secrets: [whsec_x]\n    options: {verify_token: "+secretMarker+"}\n"),
			[]string{"providers[0] (acme): stripe takes no option verify_token"}},
		{"${VAR} in a number", okProvider + "    max_body: ${HG_TEST_LONG_SECRET}\n",
			[]string{"cannot unmarshal !!str (value not shown) into int64"}},
		{"${VAR} in a duration", okProvider + "    tolerance: ${HG_TEST_LONG_SECRET}\n",
			[]string{"(value not shown) is not a duration"}},
		{"admin HMAC key too short", okProvider + adminHS + "    keys: [" + secretMarker + "short]\n",
			[]string{"admin.auth.keys[0]: an HMAC key of 11 bytes is too short for HS256"}},
		{"admin PEM key", okProvider + adminRS + "    keys: [" + pem + "]\n",
			[]string{"admin.auth.keys[0]: "}},
		{"admin second key", okProvider + strings.Replace(adminRS, "RS256", "ES256", 1) + "    keys: [" + goodPEM + ", " + pem + "]\n",
			[]string{"admin.auth.keys[1]: "}},
		{"admin keys a string", okProvider + adminHS + "    keys: " + secretMarker + "-a-long-admin-key-of-enough-bytes\n",
			[]string{"admin.auth.keys: line 10: must be a list of strings"}},
		{"admin key a list", okProvider + adminHS + "    keys: [[" + secretMarker + "]]\n",
			[]string{"admin.auth.keys[0]: line 10: a key is a string"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := file("config.yaml", c.src)
			_, err := Load(path)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("LoadConfig(%s) = %v; want ErrConfig\n%s", c.name, err, c.src)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("LoadConfig(%s) = %v; holds the secret", c.name, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("LoadConfig(%s) = %v; want it to say %q", c.name, err, w)
				}
			}
		})
	}
}

// mustECPublicPEM returns the PEM of a new P-256 public key.
func mustECPublicPEM(tb testing.TB) string {
	tb.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		tb.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}
