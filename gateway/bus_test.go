package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/testkit"
)

// lockedServer opens a gateway whose embedded server has two users:
// billing (everything) and audit (webhooks.shop.invoice.> only).
func lockedServer(t *testing.T) (*Server, *config.Config) {
	t.Helper()
	c, err := config.Read(strings.NewReader(testkit.GatewayYAML(t.TempDir(), `nats:
  port: -1
  users:
    - {user: billing, password: "${BILLING_PW}"}
    - {user: audit, password: audit-pw, subscribe: ["webhooks.shop.invoice.>"]}
providers:
  - {name: shop, type: stripe, secrets: [whsec_a]}`)), env(map[string]string{"BILLING_PW": "billing-pw"}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s, c
}

// connectAs connects to the gateway's NATS server as user (none if empty)
// and collects the server's asynchronous errors.
func connectAs(t *testing.T, s *Server, user, password string) (*nats.Conn, chan error) {
	t.Helper()
	errs := make(chan error, 8)
	opts := []nats.Option{nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case errs <- err:
		default:
		}
	})}
	if user != "" {
		opts = append(opts, nats.UserInfo(user, password))
	}
	nc, err := nats.Connect(s.NATSURL(), opts...)
	if err != nil {
		t.Fatalf("connect as %q: %v", user, err)
	}
	t.Cleanup(nc.Close)
	return nc, errs
}

// TestEmbeddedUsers: with nats.users the gateway still publishes what it
// accepts; a consumer user reads it through a durable consumer and acks,
// and its own publish to the stream's subjects is refused and not stored;
// connections without credentials or with a wrong password are refused.
func TestEmbeddedUsers(t *testing.T) {
	s, _ := lockedServer(t)
	now := time.Now()
	for i, typ := range []string{"invoice.paid", "charge.failed"} {
		body := stripeBody(fmt.Sprint("evt_", i), typ, "in_1", int64(i))
		if got := postTo(t, s, stripeRequest(t, body, "whsec_a", now)); got != 202 {
			t.Fatalf("POST %s = %d; want 202", typ, got)
		}
	}
	waitPublished(t, s, 2, "two accepted events")

	nc, errs := connectAs(t, s, "billing", "billing-pw")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "WEBHOOKS", jetstream.ConsumerConfig{Durable: "billing", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("billing: create durable consumer: %v", err)
	}
	batch, err := cons.Fetch(2, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for m := range batch.Messages() {
		subjects = append(subjects, m.Subject())
		if err := m.DoubleAck(ctx); err != nil {
			t.Fatalf("billing: ack: %v", err)
		}
	}
	if want := "[webhooks.shop.invoice.paid webhooks.shop.charge.failed]"; fmt.Sprint(subjects) != want {
		t.Fatalf("billing read %v; want %s (%v)", subjects, want, batch.Error())
	}

	// A forged event: refused by the server, so never stored.
	if err := nc.Publish("webhooks.shop.invoice.paid", []byte(`{"forged":true}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) {
			t.Fatalf("forged publish: async error %v; want a permissions violation", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("forged publish: no permissions violation")
	}
	st, err := js.Stream(ctx, "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if st.CachedInfo().State.Msgs != 2 {
		t.Errorf("stream holds %d messages after a forged publish; want 2", st.CachedInfo().State.Msgs)
	}

	for _, c := range []struct{ name, user, password string }{
		{"no credentials", "", ""},
		{"wrong password", "billing", "audit-pw"},
		{"unknown user", "mallory", "billing-pw"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []nats.Option
			if c.user != "" {
				opts = append(opts, nats.UserInfo(c.user, c.password))
			}
			nc, err := nats.Connect(s.NATSURL(), opts...)
			if err == nil {
				nc.Close()
			}
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("Connect = %v; want %v", err, nats.ErrAuthorization)
			}
		})
	}
}

// writeSeed writes a new NKey user seed to a file and returns its path.
func writeSeed(t *testing.T) string {
	t.Helper()
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "user.nk")
	if err := os.WriteFile(path, seed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// externalNATS starts a NATS server with JetStream and the given auth (and
// TLS) options, as an operator's own server would be, and returns its URL.
func externalNATS(t *testing.T, set func(o *server.Options)) string {
	t.Helper()
	o := &server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true}
	set(o)
	ns, err := server.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	return ns.ClientURL()
}

// TestNATSURLAuth: the gateway logs in to nats.url with a user and
// password, a token, an NKey seed, or over TLS checked against a CA file,
// and publishes what it accepts; wrong credentials fail Open with an error
// that shows no secret.
func TestNATSURLAuth(t *testing.T) {
	certFile, keyFile, _ := mustCert(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, otherSeed := writeSeed(t), writeSeed(t)
	kp, err := nkeys.FromSeed(must(os.ReadFile(seed)))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	otherCA, _, _ := mustCert(t)

	for _, c := range []struct {
		name     string
		server   func(o *server.Options)
		url      func(url string) string // default: as is
		auth     string                  // the nats keys besides url
		wrong    string                  // the same with a wrong credential
		urlWrong func(url string) string
	}{
		{
			name:   "user and password",
			server: func(o *server.Options) { o.Username, o.Password = "gw", "gw-S3CRET" },
			auth:   "user: gw, password: gw-S3CRET",
			wrong:  "user: gw, password: not-gw-S3CRET",
		},
		{
			name:     "credentials in the url",
			server:   func(o *server.Options) { o.Username, o.Password = "gw", "gw-S3CRET" },
			url:      func(u string) string { return strings.Replace(u, "nats://", "nats://gw:gw-S3CRET@", 1) },
			urlWrong: func(u string) string { return strings.Replace(u, "nats://", "nats://gw:not-gw-S3CRET@", 1) },
		},
		{
			name:   "token",
			server: func(o *server.Options) { o.Authorization = "tok-S3CRET" },
			auth:   "token: tok-S3CRET",
			wrong:  "token: not-tok-S3CRET",
		},
		{
			name:   "nkey",
			server: func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} },
			auth:   "nkey_file: " + seed,
			wrong:  "nkey_file: " + otherSeed,
		},
		{
			name: "tls with a ca file",
			server: func(o *server.Options) {
				o.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
				o.Username, o.Password = "gw", "gw-S3CRET"
			},
			url:   func(u string) string { return strings.Replace(u, "nats://", "tls://", 1) },
			auth:  "user: gw, password: gw-S3CRET, tls: {ca_file: " + certFile + "}",
			wrong: "user: gw, password: gw-S3CRET, tls: {ca_file: " + otherCA + "}",
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			url := externalNATS(t, c.server)
			if c.url != nil {
				url = c.url(url)
			}
			cfg := func(url, auth string) *config.Config {
				if auth != "" {
					auth = ", " + auth
				}
				return mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf(`nats: {url: "%s", create_stream: true%s}
providers: [{name: shop, type: stripe, secrets: [whsec_a]}]`, url, auth)))
			}

			s, err := Open(context.Background(), cfg(url, c.auth), Options{Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatalf("Open = %v", err)
			}
			defer s.Close(context.Background())
			if got := postTo(t, s, stripeRequest(t, stripeBody("evt_1", "invoice.paid", "in_1", 1), "whsec_a", time.Now())); got != 202 {
				t.Fatalf("POST = %d; want 202", got)
			}
			waitPublished(t, s, 1, "the event")

			wrongURL := url
			if c.urlWrong != nil {
				wrongURL = c.urlWrong(strings.Replace(url, "gw:gw-S3CRET@", "", 1))
			}
			s2, err := Open(context.Background(), cfg(wrongURL, c.wrong), Options{Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				s2.Close(context.Background())
				t.Fatal("Open with a wrong credential succeeded")
			}
			if !strings.Contains(err.Error(), "nats: connect") || strings.Contains(err.Error(), "S3CRET") {
				t.Errorf("Open with a wrong credential = %v; want a connect error without the secret", err)
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
