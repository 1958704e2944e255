package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/testkit"
)

// mustReloadable opens a gateway on the config file at path, reloading
// from that file.
func mustReloadable(tb testing.TB, path string) *Server {
	tb.Helper()
	c, err := config.Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := Open(context.Background(), c, Options{
		Logger:     slog.New(slog.DiscardHandler),
		LoadConfig: func() (*config.Config, error) { return config.Load(path) },
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// TestReloadRotatesSecretsUnderLoad rotates a provider's secret while
// clients keep posting: first the new secret is added, the senders switch
// to it, then the old one is removed. No request fails at any step.
func TestReloadRotatesSecretsUnderLoad(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	write := func(secrets string) {
		os.WriteFile(cfgPath, []byte(testkit.GatewayYAML(filepath.Join(dir, "data"), testkit.EmbeddedNATS, "providers:"+providerYAML("shop", "stripe", secrets))), 0o600)
	}
	write("whsec_old")
	s := mustReloadable(t, cfgPath)

	var (
		senderSecret atomic.Value
		sent, failed atomic.Int64
		stop         = make(chan struct{})
		wg           sync.WaitGroup
		firstFailure atomic.Value
	)
	senderSecret.Store("whsec_old")
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := stripeRequest(t, stripeBody(fmt.Sprintf("e%d-%d", w, i), "t", fmt.Sprintf("o%d-%d", w, i), 1), senderSecret.Load().(string), time.Now())
				if code := postTo(t, s, req); code != 202 {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, fmt.Sprintf("status %d with secret %s", code, senderSecret.Load()))
				}
				sent.Add(1)
			}
		}()
	}
	waitSent := func(n int64) {
		target := sent.Load() + n
		testkit.WaitFor(t, 20*time.Second, func() string { return "load stalled" }, func() bool { return sent.Load() >= target })
	}
	waitSent(50)
	write("whsec_new, whsec_old")
	if _, err := s.ReloadFromSource(); err != nil {
		t.Fatalf("reload adding the new secret: %v", err)
	}
	waitSent(50)
	senderSecret.Store("whsec_new")
	waitSent(50)
	write("whsec_new")
	if _, err := s.ReloadFromSource(); err != nil {
		t.Fatalf("reload removing the old secret: %v", err)
	}
	waitSent(50)
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed during the rotation; first: %v", failed.Load(), sent.Load(), firstFailure.Load())
	}
	// The old secret is gone now.
	if code := postTo(t, s, stripeRequest(t, stripeBody("late", "t", "o", 1), "whsec_old", time.Now())); code != 401 {
		t.Fatalf("old secret after the rotation: %d; want 401", code)
	}
}

// TestReloadRejectsBadConfig reloads a broken config: it is rejected and
// the running one keeps serving.
func TestReloadRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	good := testkit.GatewayYAML(filepath.Join(dir, "data"), testkit.EmbeddedNATS, "providers:"+providerYAML("shop", "stripe", "whsec_a"))
	os.WriteFile(cfgPath, []byte(good), 0o600)
	s := mustReloadable(t, cfgPath)
	for _, bad := range []string{
		strings.Replace(good, "type: stripe", "type: no-such-type", 1),
		strings.Replace(good, "secrets: [whsec_a]", "secrets: []", 1),
		strings.Replace(good, "providers:", "providerz:", 1),
		"{{ not yaml",
	} {
		os.WriteFile(cfgPath, []byte(bad), 0o600)
		if _, err := s.ReloadFromSource(); err == nil {
			t.Errorf("reload of a broken config succeeded:\n%s", bad)
		}
		if code := postTo(t, s, stripeRequest(t, stripeBody("e"+fmt.Sprint(len(bad)), "t", "o", 1), "whsec_a", time.Now())); code != 202 {
			t.Fatalf("after a rejected reload: %d; want 202 with the running config", code)
		}
	}
	// A reload that moves the path and changes the listen address: the
	// path moves at once, the address needs a restart.
	os.WriteFile(cfgPath, []byte(strings.Replace(strings.Replace(good, "type: stripe", "type: stripe\n    path: /hooks/shop", 1), "listen: 127.0.0.1:0", "listen: 127.0.0.1:1", 1)), 0o600)
	restart, err := s.ReloadFromSource()
	if err != nil || len(restart) != 1 || restart[0] != "listen" {
		t.Fatalf("reload = %v, %v; want it applied, with listen needing a restart", restart, err)
	}
	req := stripeRequest(t, stripeBody("moved", "t", "o", 1), "whsec_a", time.Now())
	req.URL.Path = "/hooks/shop"
	if code := postTo(t, s, req); code != 202 {
		t.Errorf("new path after reload: %d; want 202", code)
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("old-path", "t", "o", 1), "whsec_a", time.Now())); code != http.StatusNotFound {
		t.Errorf("old path after reload: %d; want 404", code)
	}
	// The trusted proxies take effect with the providers; the quarantine
	// and the rest of http need a restart, and say so.
	os.WriteFile(cfgPath, []byte(good+"http: {trusted_proxies: [10.0.0.0/8]}\n"), 0o600)
	if restart, err := s.ReloadFromSource(); err != nil || len(restart) != 0 {
		t.Errorf("reload of trusted_proxies = %v, %v; want it applied without a restart", restart, err)
	}
	os.WriteFile(cfgPath, []byte(good+"http: {max_in_flight: 7}\nquarantine: {enabled: true}\n"), 0o600)
	if restart, err := s.ReloadFromSource(); err != nil || strings.Join(restart, ",") != "http,quarantine" {
		t.Errorf("reload of http.max_in_flight and quarantine = %v, %v; want both named as needing a restart", restart, err)
	}
}

// TestReloadOrderingFormat: a reload that changes a provider's
// ordering.format does not hold back the entities it recorded before.
// Stripe's preset reads created as unix seconds (a time); read by auto it
// is a plain number, which does not compare with a time: an entity's first
// event after the reload is taken as its first (202), and those after it
// compare with it.
func TestReloadOrderingFormat(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	cfg := func(ordering string) []byte {
		return []byte(testkit.GatewayYAML(filepath.Join(dir, "data"), testkit.EmbeddedNATS, "providers:"+providerYAML("shop", "stripe", "whsec_a", ordering)))
	}
	os.WriteFile(cfgPath, cfg("ordering: {preset: true}"), 0o600)
	s := mustReloadable(t, cfgPath)
	post := func(id string, created int64, want int) {
		t.Helper()
		if code := postTo(t, s, stripeRequest(t, stripeBody(id, "order.updated", "ord_1", created), "whsec_a", time.Now())); code != want {
			t.Fatalf("%s (created %d): %d; want %d", id, created, code, want)
		}
	}
	post("evt_1", 1709294400, 202)
	post("evt_0", 1709294300, 200) // stale
	os.WriteFile(cfgPath, cfg("ordering: {key: data.object.id, version: created}"), 0o600)
	if restart, err := s.ReloadFromSource(); err != nil || len(restart) != 0 {
		t.Fatalf("reload = %v, %v; want it applied", restart, err)
	}
	post("evt_3", 1709294999, 202) // newer: not held back by the time recorded before
	post("evt_2", 1709294900, 200) // stale again, among numbers
	post("evt_4", 1709295000, 202)
}

// TestReloadRotatesSecretFiles rotates a provider's secret through files,
// as a mounted Kubernetes or Docker secret does, following the README's
// recipe: the current and the previous secret each in a file, reloaded
// through POST /admin/reload, whose answer lists nothing to restart as
// []. A broken file is refused on reload, says why, and the running
// secrets stay.
func TestReloadRotatesSecretFiles(t *testing.T) {
	const a, b = "whsec_rotation_secret_A", "whsec_rotation_secret_B"
	dir := t.TempDir()
	current, previous := filepath.Join(dir, "current"), filepath.Join(dir, "previous")
	// put replaces a file at once, as Kubernetes swaps a secret's directory.
	put := func(path, content string) {
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	put(current, a+"\n")
	put(previous, a+"\r\n")
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
listen: 127.0.0.1:0
data_dir: %s
nats: {port: -1}
%s
providers:
  - name: shop
    type: stripe
    secrets:
      - file: %s
      - file: %s
`, filepath.Join(dir, "data"), adminAuth, current, previous)), 0o600)
	s := mustReloadable(t, cfgPath)
	token := adminToken(t, jwt.SigningMethodHS256, []byte(adminSecret), validClaims())

	n := 0
	expect := func(step, secret string, want int) {
		t.Helper()
		n++
		if code := postTo(t, s, stripeRequest(t, stripeBody(fmt.Sprintf("e%d", n), "t", fmt.Sprintf("o%d", n), 1), secret, time.Now())); code != want {
			t.Errorf("%s: signed with %s: %d; want %d", step, secret[len(secret)-1:], code, want)
		}
	}
	reload := func(step string, want int) string {
		t.Helper()
		code, body := adminCall(t, s, "POST", "/admin/reload", token, "")
		if code != want {
			t.Fatalf("%s: POST /admin/reload = %d %s; want %d", step, code, body, want)
		}
		return body
	}

	expect("start", a, 202)
	expect("start", b, 401)
	put(current, b+"\n") // the new secret; the previous one is still a
	if body := reload("rotate", 200); !strings.Contains(body, `"needs_restart":[]`) {
		t.Errorf("POST /admin/reload answered %s; want needs_restart [] (nothing needs a restart), a list as documented", body)
	}
	expect("rotate", b, 202)
	expect("rotate", a, 202)
	put(previous, b+"\n") // the provider signs with b: drop a
	reload("finish", 200)
	expect("finish", b, 202)
	expect("finish", a, 401)

	for _, c := range []struct {
		name, content string
		want          string
	}{
		{"empty", "\n", `providers[0] (shop).secrets[0]: file "` + current + `" is empty`},
		{"missing", "", `providers[0] (shop).secrets[0]: file "` + current + `": no such file or directory`},
	} {
		if c.content == "" {
			os.Remove(current)
		} else {
			put(current, c.content)
		}
		body := reload(c.name, 400)
		var answer map[string]string
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Fatalf("%s file: POST /admin/reload answered %s: %v", c.name, body, err)
		}
		if !strings.Contains(answer["error"], c.want) || answer["status"] != "rejected" || answer["running_config"] != "unchanged" || strings.Contains(body, b) {
			t.Errorf("%s file: POST /admin/reload answered %s; want it to say %q and that the running config stays, without the secret", c.name, body, c.want)
		}
		expect(c.name+" file refused", b, 202)
		expect(c.name+" file refused", a, 401)
	}
}

// TestReloadReadsFilesAgain: a reload reads again the files behind the
// public listener's certificate and the admin token check, though their
// paths stayed the same (a renewed certificate, a revoked admin key); a
// changed file that only a restart reads (the signing key) is named in
// needs_restart like a changed setting.
func TestReloadReadsFilesAgain(t *testing.T) {
	dir := t.TempDir()
	jwksFile, signKey := filepath.Join(dir, "admin.jwks"), filepath.Join(dir, "bus.pem")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	useCert := func() *x509.CertPool {
		c, k, pool := mustCert(t)
		copyFile(c, certFile)
		copyFile(k, keyFile)
		return pool
	}
	useAdminKey := func() *ecdsa.PrivateKey {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		pt, _ := key.PublicKey.Bytes() // 0x04 || x || y
		b64 := base64.RawURLEncoding.EncodeToString
		jwks := fmt.Sprintf(`{"keys":[{"kty":"EC","crv":"P-256","x":%q,"y":%q}]}`, b64(pt[1:33]), b64(pt[33:]))
		if err := os.WriteFile(jwksFile, []byte(jwks), 0o600); err != nil {
			t.Fatal(err)
		}
		return key
	}
	useSignKey := func() {
		_, key, _ := ed25519.GenerateKey(rand.Reader)
		pem, err := bussig.MarshalPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(signKey, pem, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool1, key1 := useCert(), useAdminKey()
	useSignKey()
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
listen: 127.0.0.1:0
data_dir: %s
nats: {port: -1, sign: {key_file: %s}}
http: {tls: {cert_file: %s, key_file: %s}}
admin:
  listen: "127.0.0.1:0"
  auth: {algorithms: [ES256], issuer: ops, audience: hookgate-admin, jwks_file: %s}
providers:
%s`, filepath.Join(dir, "data"), signKey, certFile, keyFile, jwksFile, providerYAML("shop", "stripe", "whsec_new"))), 0o600)
	s := mustReloadable(t, cfgPath)
	token1 := adminToken(t, jwt.SigningMethodES256, key1, validClaims())
	handshake := func(pool *x509.CertPool) error {
		conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{RootCAs: pool})
		if err == nil {
			conn.Close()
		}
		return err
	}
	if err := handshake(pool1); err != nil {
		t.Fatalf("TLS with the first certificate: %v", err)
	}
	if code, body := adminCall(t, s, "GET", "/admin/outbox", token1, ""); code != 200 {
		t.Fatalf("GET /admin/outbox with the first key = %d %s", code, body)
	}

	pool2, key2 := useCert(), useAdminKey()
	useSignKey()
	code, body := adminCall(t, s, "POST", "/admin/reload", token1, "")
	var res struct {
		NeedsRestart []string `json:"needs_restart"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &res) != nil || fmt.Sprint(res.NeedsRestart) != "[nats]" {
		t.Fatalf("POST /admin/reload = %d %s; want 200 with needs_restart [nats] (the signing key file)", code, body)
	}
	if err := handshake(pool2); err != nil {
		t.Errorf("TLS with the renewed certificate after the reload: %v", err)
	}
	if code, _ := adminCall(t, s, "GET", "/admin/outbox", token1, ""); code != 401 {
		t.Errorf("GET /admin/outbox with the removed key = %d; want 401", code)
	}
	if code, body := adminCall(t, s, "GET", "/admin/outbox", adminToken(t, jwt.SigningMethodES256, key2, validClaims()), ""); code != 200 {
		t.Errorf("GET /admin/outbox with the new key = %d %s; want 200", code, body)
	}
}
