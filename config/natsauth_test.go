package config

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/bussig"
)

func TestClientAuth(t *testing.T) {
	embedded := mustValid(t, `
nats:
  users:
    - {user: billing, password: billing-pw}
    - {user: hashed, password: "$2a$11$abcdefghijklmnopqrstuu5Ra0Kf.VN7iSJQZbyMD2rvyuQm5lY2e"}
providers: [{name: shop, type: github, secrets: [s]}]
`)
	open := mustValid(t, "providers: [{name: shop, type: github, secrets: [s]}]\n")
	url := mustValid(t, `
nats: {url: "nats://n:4222", token: tok}
providers: [{name: shop, type: github, secrets: [s]}]
`)
	for _, c := range []struct {
		name           string
		cfg            *Config
		user, password string
		want           NATSAuth
		err            string
	}{
		{"first user", embedded, "", "", NATSAuth{User: "billing", Password: "billing-pw"}, ""},
		{"user from the config", embedded, "billing", "", NATSAuth{User: "billing", Password: "billing-pw"}, ""},
		{"user and password", embedded, "other", "pw", NATSAuth{User: "other", Password: "pw"}, ""},
		{"unknown user", embedded, "other", "", NATSAuth{}, `user "other" is not in nats.users`},
		{"bcrypt hash", embedded, "hashed", "", NATSAuth{}, "nats.users[1] (hashed).password is a bcrypt hash"},
		{"password alone", embedded, "", "pw", NATSAuth{}, "a password needs a user"},
		{"no users", open, "", "", NATSAuth{}, ""},
		{"url", url, "", "", NATSAuth{Token: "tok"}, ""},
		{"url, as a user", url, "u", "pw", NATSAuth{User: "u", Password: "pw"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.cfg.ClientAuth(c.user, c.password)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrInvalid) {
					t.Fatalf("ClientAuth(%q, %q) = %v; want an error saying %q", c.user, c.password, err, c.err)
				}
				if strings.Contains(err.Error(), "$2a$") {
					t.Errorf("ClientAuth error %q shows a password", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("ClientAuth(%q, %q) = %+v, %v; want %+v", c.user, c.password, got, err, c.want)
			}
		})
	}
}

// TestValidateNATSUsers checks nats.users and the rule that an embedded
// server reachable from other machines needs them.
func TestValidateNATSUsers(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"users", `nats: {users: [{user: billing, password: pw, subscribe: ["webhooks.stripe.>", "webhooks.shop.order.*"]}]}`, nil},
		{"on every interface with users", `nats: {host: 0.0.0.0, users: [{user: billing, password: pw}]}`, nil},
		{"on every interface without users", `nats: {host: 0.0.0.0}`, []string{`nats.host: "0.0.0.0" is not a loopback address`, "set nats.users"}},
		{"on a LAN address without users", `nats: {host: 10.1.2.3}`, []string{`nats.host: "10.1.2.3" is not a loopback address`}},
		{"on a host name without users", `nats: {host: nats.internal}`, []string{`nats.host: "nats.internal" is not a loopback address`}},
		{"on localhost", `nats: {host: localhost}`, nil},
		{"on ::1", `nats: {host: "::1"}`, nil},
		{"on 127.0.0.2", `nats: {host: 127.0.0.2}`, nil},
		{"no user", `nats: {users: [{password: pw}]}`, []string{`nats.users[0].user: "" must be letters`}},
		{"internal name", `nats: {users: [{user: _hookgate, password: pw}]}`, []string{`nats.users[0] (_hookgate).user: "_hookgate" must be letters`}},
		{"space in name", `nats: {users: [{user: "a b", password: pw}]}`, []string{`nats.users[0] (a b).user:`}},
		{"twice", `nats: {users: [{user: a, password: pw}, {user: a, password: pw2}]}`, []string{`nats.users[1] (a).user: "a" is already nats.users[0]`}},
		{"no password", `nats: {users: [{user: a}]}`, []string{`nats.users[0] (a).password: required`}},
		{"subject outside the stream", `nats: {users: [{user: a, password: pw, subscribe: ["orders.>"]}]}`, []string{`nats.users[0] (a).subscribe[0]: "orders.>" is not inside nats.subjects ["webhooks.>"]`}},
		{"everything", `nats: {users: [{user: a, password: pw, subscribe: [">"]}]}`, []string{`nats.users[0] (a).subscribe[0]: ">" is not inside nats.subjects`}},
		{"inbox", `nats: {users: [{user: a, password: pw, subscribe: ["_INBOX.>"]}]}`, []string{`nats.users[0] (a).subscribe[0]: "_INBOX.>" is not inside`}},
		{"bad subject", `nats: {users: [{user: a, password: pw, subscribe: ["webhooks..x", "webhooks.>.x"]}]}`, []string{`nats.users[0] (a).subscribe[0]: "webhooks..x" has an empty token`, `subscribe[1]: "webhooks.>.x" has '>' before its last token`}},
		{"inside custom subjects", `nats: {subjects: ["webhooks.>", "hooks.>"], users: [{user: a, password: pw, subscribe: ["hooks.x.>"]}]}`, nil},
		{"with a url", `nats: {url: "nats://n:4222", users: [{user: a, password: pw}]}`, []string{"nats.users: only applies to the embedded server"}},
	} {
		t.Run(c.name, func(t *testing.T) { checkValidate(t, c.src, c.want) })
	}
	cfg := mustValid(t, "nats: {subjects: [\"a.>\", \"b.>\"], users: [{user: a, password: pw}]}\nproviders: [{name: shop, type: github, secrets: [s], subject: \"a.{provider}.{type}\"}]\n")
	if got := fmt.Sprint(cfg.NATS.Users[0].Subscribe); got != "[a.> b.>]" {
		t.Errorf("default subscribe = %s; want nats.subjects [a.> b.>]", got)
	}
}

// TestValidateNATSAuth checks the credentials for nats.url.
func TestValidateNATSAuth(t *testing.T) {
	// A self-signed certificate for 127.0.0.1 with its key, and an NKey
	// user seed, made for these tests.
	certFile, keyFile, seed := "testdata/cert.pem", "testdata/key.pem", "testdata/user.nk"
	for _, c := range []struct {
		name, src string
		want      []string
	}{
		{"user and password", `nats: {url: "nats://n:4222", user: u, password: pw-S3CRET}`, nil},
		{"token", `nats: {url: "nats://n:4222", token: tok-S3CRET}`, nil},
		{"nkey", `nats: {url: "nats://n:4222", nkey_file: ` + seed + `}`, nil},
		{"tls", `nats: {url: "tls://n:4222", tls: {ca_file: ` + certFile + `, cert_file: ` + certFile + `, key_file: ` + keyFile + `}}`, nil},
		{"user without password", `nats: {url: "nats://n:4222", user: u}`, []string{"nats.password: required with nats.user"}},
		{"password without user", `nats: {url: "nats://n:4222", password: pw-S3CRET}`, []string{"nats.user: required with nats.password"}},
		{"token and user", `nats: {url: "nats://n:4222", user: u, password: pw-S3CRET, token: tok-S3CRET}`, []string{"nats: user/password and token are different ways to log in: set one"}},
		{"nkey and creds", `nats: {url: "nats://n:4222", nkey_file: ` + seed + `, creds_file: ` + seed + `}`, []string{"nats: nkey_file and creds_file are different ways to log in"}},
		{"credentials in the url too", `nats: {url: "nats://u:pw-S3CRET@n:4222", token: tok-S3CRET}`, []string{"nats.url: holds credentials, and so does nats.token"}},
		{"missing nkey file", `nats: {url: "nats://n:4222", nkey_file: /nonexistent/seed}`, []string{"nats.nkey_file:", "/nonexistent/seed"}},
		{"not a seed", `nats: {url: "nats://n:4222", nkey_file: ` + certFile + `}`, []string{"nats.nkey_file:"}},
		{"missing creds file", `nats: {url: "nats://n:4222", creds_file: /nonexistent/creds}`, []string{"nats.creds_file:"}},
		{"missing ca", `nats: {url: "nats://n:4222", tls: {ca_file: /nonexistent/ca.pem}}`, []string{"nats.tls.ca_file:"}},
		{"ca not pem", `nats: {url: "nats://n:4222", tls: {ca_file: ` + seed + `}}`, []string{"nats.tls.ca_file:", "no PEM certificate"}},
		{"cert without key", `nats: {url: "nats://n:4222", tls: {cert_file: ` + certFile + `}}`, []string{"nats.tls: cert_file and key_file go together"}},
		{"embedded: user", `nats: {user: u, password: pw-S3CRET}`, []string{"nats.user: only applies with nats.url", "nats.password: only applies with nats.url"}},
		{"embedded: token", `nats: {token: tok-S3CRET}`, []string{"nats.token: only applies with nats.url"}},
		{"embedded: tls", `nats: {tls: {ca_file: x}}`, []string{"nats.tls: only applies with nats.url"}},
		{"embedded: creds", `nats: {creds_file: x}`, []string{"nats.creds_file: only applies with nats.url"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkValidate(t, c.src, c.want)
			if err := validateErr(t, c.src+"\nproviders: [{name: shop, type: github, secrets: [s]}]\n"); err != nil {
				if strings.Contains(err.Error(), "S3CRET") {
					t.Errorf("Validate error shows a secret: %v", err)
				}
			}
		})
	}
}

// TestNATSSignLoad: validation leaves nats.sign.key_file alone (the
// commands that read the stream run where the key is not); Load reads it
// and names the field when it cannot.
func TestNATSSignLoad(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	privPEM, err := bussig.MarshalPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := bussig.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "bus.pem"), filepath.Join(dir, "bus.pub.pem")
	if err := os.WriteFile(priv, privPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pub, pubPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"private key", priv, nil},
		{"missing", "/nonexistent/bus.pem", []string{"nats.sign.key_file:", "/nonexistent/bus.pem"}},
		{"public key", pub, []string{"nats.sign.key_file:", `"PUBLIC KEY"`}},
		{"certificate", "testdata/cert.pem", []string{"nats.sign.key_file:", `"CERTIFICATE"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := readValidate(t, "nats: {sign: {key_file: "+c.file+"}}\nproviders: [{name: shop, type: github, secrets: [s]}]\n")
			if err != nil {
				t.Fatalf("Validate = %v; want nil (the key is read by Load)", err)
			}
			got, err := cfg.NATS.Sign.Load()
			if len(c.want) == 0 {
				if err != nil || !got.Equal(key) {
					t.Errorf("Load = %v; want the file's key", err)
				}
				return
			}
			for _, w := range c.want {
				if err == nil || !strings.Contains(err.Error(), w) || !errors.Is(err, ErrInvalid) {
					t.Errorf("Load = %v; want ErrInvalid holding %q", err, w)
				}
			}
		})
	}
	if key, err := (&NATSSign{}).Load(); key != nil || err != nil {
		t.Errorf("Load without a key_file = %v, %v; want nil, nil", key, err)
	}
}
