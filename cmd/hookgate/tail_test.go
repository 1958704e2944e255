package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// countingWriter counts the messages tail prints for a subject.
type countingWriter struct {
	mu     sync.Mutex
	prefix string
	n      int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.n += strings.Count(string(p), w.prefix)
	return len(p), nil
}

func (w *countingWriter) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestTailLiveBurst: live tail (no stream) runs under a context without a
// deadline, as the command's is, and prints every message of a burst
// larger than any client buffer.
func TestTailLiveBurst(t *testing.T) {
	ns := testkit.StartNATS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, burst := &countingWriter{prefix: "--- burst.ready\n"}, &countingWriter{prefix: "--- burst.x\n"}
	done := make(chan error, 1)
	go func() {
		done <- tail(ctx, tailOptions{URL: ns.URL(), Subject: "burst.>"}, writerFunc(func(p []byte) (int, error) {
			ready.Write(p)
			return burst.Write(p)
		}))
	}()
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testkit.WaitFor(t, 10*time.Second, func() string { return "tail never printed a message" }, func() bool {
		select {
		case err := <-done:
			t.Fatalf("tail ended before it got a message: %v", err)
		default:
		}
		nc.Publish("burst.ready", []byte("ready"))
		return ready.count() > 0
	})
	const n = 5000
	for range n {
		nc.Publish("burst.x", []byte("x"))
	}
	nc.Flush()
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("tail printed %d of a burst of %d", burst.count(), n) },
		func() bool { return burst.count() >= n })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail = %v", err)
	}
	if got := burst.count(); got != n {
		t.Errorf("tail printed %d of a burst of %d", got, n)
	}
}

// TestTailAsUser: tail logs in as the config's first user by default, or as
// -user with its password from the config; a user that may not read the
// subject gets an error instead of silence.
func TestTailAsUser(t *testing.T) {
	m := startMain(t, gatewayConfig(t, `nats:
  port: -1
  users:
    - {user: billing, password: billing-pw}
    - {user: audit, password: audit-pw, subscribe: ["webhooks.stripe.invoice.>"]}`,
		"providers:"+stripeProvider))
	body := `{"id":"evt_1","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1"}}}`
	if code, _ := post(t, m, body, stripeSecret); code != 202 {
		t.Fatalf("POST = %d; want 202", code)
	}
	db := openDB(t, m)
	var n int
	testkit.WaitFor(t, 10*time.Second, func() string { return fmt.Sprintf("the event not published: outbox has %d rows", n) }, func() bool {
		return db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&n) == nil && n == 0
	})
	for _, tc := range []struct {
		name, user, subject string
		ok                  bool
	}{
		{name: "first user", user: "", subject: "webhooks.>", ok: true},
		{name: "audit, its subject", user: "audit", subject: "webhooks.stripe.invoice.>", ok: true},
		{name: "audit, another subject", user: "audit", subject: "webhooks.stripe.>", ok: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			auth, err := m.Config.ClientAuth(tc.user, "")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out strings.Builder
			err = tail(ctx, tailOptions{URL: m.Server.NATSURL(), Auth: auth, Subject: tc.subject, Stream: "WEBHOOKS", All: true, Count: 1}, &out)
			switch {
			case tc.ok && (err != nil || !strings.Contains(out.String(), "--- webhooks.stripe.invoice.paid")):
				t.Errorf("tail = %v, printed %q; want the event", err, out.String())
			case !tc.ok && (err == nil || !errors.Is(err, nats.ErrPermissionViolation)):
				t.Errorf("tail = %v; want a permissions violation", err)
			}
		})
	}
}

// TestTailVerify: with a verifier, tail prints a message signed with a
// held key and refuses, in one line without its headers or body, an
// unsigned one, one altered after signing, and one signed with another
// key; it then ends with an error counting the refusals.
func TestTailVerify(t *testing.T) {
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	publish := func(subject, body string, signer *bussig.Signer, alter string) {
		t.Helper()
		m := forward.Message{ID: "shop:" + subject, Subject: subject, Header: nats.Header{"Hookgate-Provider": {"shop"}}, Body: []byte(body)}
		var s forward.Signer
		if signer != nil {
			s = signer
		}
		msg := m.NATSMsg(s)
		if alter != "" {
			msg.Data = []byte(alter)
		}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	publish("webhooks.shop.good", "GOOD-BODY", bussig.NewSigner(key), "")
	publish("webhooks.shop.unsigned", "UNSIGNED-BODY", nil, "")
	publish("webhooks.shop.altered", "ORIGINAL", bussig.NewSigner(key), "ALTERED-BODY")
	publish("webhooks.shop.other", "OTHER-BODY", bussig.NewSigner(otherKey), "")
	pubFile := filepath.Join(t.TempDir(), "bus.pub")
	pubPEM, _ := bussig.MarshalPublicKey(key.Public().(ed25519.PublicKey))
	if err := os.WriteFile(pubFile, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := loadVerifier([]string{pubFile})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = tail(tctx, tailOptions{URL: ns.URL(), Subject: "webhooks.>", Stream: "S", All: true, Count: 4, Verify: v}, &out)
	if err == nil || !strings.Contains(err.Error(), "3 message(s) refused") {
		t.Errorf("tail = %v; want 3 refused", err)
	}
	got := out.String()
	for _, want := range []string{"--- webhooks.shop.good\n", "GOOD-BODY",
		"--- webhooks.shop.unsigned REFUSED: bussig: message not signed",
		"--- webhooks.shop.altered REFUSED: bussig: signature does not match",
		"--- webhooks.shop.other REFUSED: bussig: signed with an unknown key"} {
		if !strings.Contains(got, want) {
			t.Errorf("tail printed\n%s\nwant it to hold %q", got, want)
		}
	}
	for _, never := range []string{"UNSIGNED-BODY", "ALTERED-BODY", "OTHER-BODY"} {
		if strings.Contains(got, never) {
			t.Errorf("tail printed the body of a refused message (%s):\n%s", never, got)
		}
	}
	if _, err := loadVerifier([]string{"/nonexistent.pub"}); err == nil || !strings.Contains(err.Error(), "-verify-key") {
		t.Errorf("loadVerifier(missing) = %v; want an error naming -verify-key", err)
	}
}

// publishUntil publishes subject on a new connection to url until cond
// holds (what tail printed).
func publishUntil(t *testing.T, url, subject string, cond func() bool) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	testkit.WaitFor(t, 30*time.Second, testkit.Says("tail never printed "+subject), func() bool {
		nc.Publish(subject, []byte("x"))
		return cond()
	})
}

// TestTailReconnects: tail rides out a NATS outage longer than nats.go's
// default reconnect budget (60 attempts, here 5 ms apart), says on its log
// that the connection was lost and is back, and prints what is published
// after it: live, and from a stream (its ordered consumer made again on the
// restarted server).
func TestTailReconnects(t *testing.T) {
	for _, stream := range []string{"", "S"} {
		t.Run("stream="+stream, func(t *testing.T) {
			ns := testkit.StartNATS(t)
			if stream != "" {
				_, js := testkit.JetStream(t, ns.URL())
				if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: stream, Subjects: []string{"recon.>"}}); err != nil {
					t.Fatal(err)
				}
			}
			var out, log testkit.SyncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- tail(ctx, tailOptions{URL: ns.URL(), Subject: "recon.>", Stream: stream, Log: &log,
					natsOptions: []nats.Option{nats.ReconnectWait(5 * time.Millisecond), nats.ReconnectJitter(0, 0)}}, &out)
			}()
			publishUntil(t, ns.URL(), "recon.before", func() bool { return strings.Contains(out.String(), "--- recon.before") })

			ns.Stop()
			testkit.WaitFor(t, 10*time.Second, func() string { return "tail did not say it was disconnected: " + log.String() },
				func() bool { return strings.Contains(log.String(), "disconnected from NATS") })
			time.Sleep(time.Second) // the outage's length: about 200 attempts, past the default 60
			ns.Start()
			publishUntil(t, ns.URL(), "recon.after", func() bool { return strings.Contains(out.String(), "--- recon.after") })
			testkit.WaitFor(t, 10*time.Second, func() string { return "tail did not say it reconnected: " + log.String() },
				func() bool { return strings.Contains(log.String(), "reconnected to NATS") })
			select {
			case err := <-done:
				t.Fatalf("tail ended: %v", err)
			default:
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("tail = %v", err)
			}
		})
	}
}

// TestTailConnectionClosed: a connection that the client closes for good
// (the server refuses its login twice after a restart: the password
// changed) ends tail with an error saying so, where it used to wait for
// ever, silent.
func TestTailConnectionClosed(t *testing.T) {
	port, dir := testkit.FreePort(t), t.TempDir()
	var ns *server.Server
	start := func(password string) {
		t.Helper()
		var err error
		testkit.WaitFor(t, 5*time.Second, func() string { return fmt.Sprintf("start NATS on %d: %v", port, err) }, func() bool {
			ns, err = forward.StartServer(forward.ServerConfig{Host: "127.0.0.1", Port: port, StoreDir: dir,
				Users: []forward.User{{Name: "reader", Password: password}}, InternalPassword: "internal"})
			return err == nil
		})
	}
	stop := func() {
		if ns != nil {
			ns.Shutdown()
			ns.WaitForShutdown()
			ns = nil
		}
	}
	defer stop()
	start("old-pw")
	url := fmt.Sprintf("nats://127.0.0.1:%d", port)
	var out, log testkit.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- tail(ctx, tailOptions{URL: url, Auth: config.NATSAuth{User: "reader", Password: "old-pw"}, Subject: "webhooks.>", Log: &log,
			natsOptions: []nats.Option{nats.ReconnectWait(5 * time.Millisecond), nats.ReconnectJitter(0, 0)}}, &out)
	}()
	// Connected means logged in and subscribed: a client the server
	// counts may still be in its handshake, and stopping the server then
	// fails tail's first connect instead of closing its connection.
	testkit.WaitFor(t, 10*time.Second, testkit.Says("tail never connected"), func() bool {
		cz, err := ns.Connz(&server.ConnzOptions{Username: true})
		if err != nil {
			return false
		}
		for _, c := range cz.Conns {
			if c.AuthorizedUser == "reader" && c.NumSubs > 0 {
				return true
			}
		}
		return false
	})
	stop()
	start("new-pw")
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "connection to NATS") || !strings.Contains(err.Error(), "closed") {
			t.Errorf("tail = %v; want an error saying the connection is closed", err)
		}
	case <-ctx.Done():
		t.Fatalf("tail still waiting after its connection was closed; it logged %q", log.String())
	}
	if !strings.Contains(log.String(), "disconnected from NATS") {
		t.Errorf("tail logged %q; want the disconnection", log.String())
	}
}

// TestTailStreamLeavesNoConsumer: tail -stream deletes its consumers when
// it ends, after -count messages or stopped, where they used to stay on
// the server for the library's 5 minutes (and the probe for 10 s).
func TestTailStreamLeavesNoConsumer(t *testing.T) {
	ns := testkit.StartNATS(t)
	nc, js := testkit.JetStream(t, ns.URL())
	ctx := context.Background()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"left.>"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish("left.one", []byte("x")); err != nil {
		t.Fatal(err)
	}
	consumers := func() int {
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Consumers
	}
	for _, c := range []struct {
		name  string
		count int
	}{{name: "after -count", count: 1}, {name: "stopped", count: 0}} {
		t.Run(c.name, func(t *testing.T) {
			var out testkit.SyncBuffer
			tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			done := make(chan error, 1)
			go func() {
				done <- tail(tctx, tailOptions{URL: ns.URL(), Subject: "left.>", Stream: "S", All: true, Count: c.count}, &out)
			}()
			testkit.WaitFor(t, 10*time.Second, testkit.Says("tail never printed the message"), func() bool { return strings.Contains(out.String(), "--- left.one") })
			if c.count == 0 {
				cancel()
			}
			if err := <-done; err != nil {
				t.Fatalf("tail = %v", err)
			}
			// Within less than the consumers' 10 s inactive threshold.
			testkit.WaitFor(t, 3*time.Second, func() string { return fmt.Sprintf("%d consumers left on the stream after tail ended", consumers()) },
				func() bool { return consumers() == 0 })
		})
	}
}

// TestTailConfigWithoutProviderSecrets: tail -config reads the NATS
// section alone: a provider secret whose variable is not set, and a
// secret file and http.tls files that are missing, do not stop it (it
// goes on to its own checks: -all without -stream, exit 2), so it runs
// where the gateway's secrets are not.
func TestTailConfigWithoutProviderSecrets(t *testing.T) {
	if _, set := os.LookupEnv("HOOKGATE_TEST_UNSET_SECRET"); set {
		t.Fatal("HOOKGATE_TEST_UNSET_SECRET is set; this test needs it unset")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(`nats: {url: "nats://127.0.0.1:1"}
http: {tls: {cert_file: `+filepath.Join(dir, "no.pem")+`, key_file: `+filepath.Join(dir, "no.key")+`}}
providers:
  - {name: shop, type: github, secrets: ["${HOOKGATE_TEST_UNSET_SECRET}"]}
  - {name: gh, type: github, secrets: [{file: `+filepath.Join(dir, "no-secret")+`}]}
`), 0o600)
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"tail", "-config", cfg, "-all", "webhooks.>"}, &out, &out); code != 2 || !strings.Contains(out.String(), "-all needs -stream (this config's stream is WEBHOOKS)") {
		t.Errorf("tail -config -all with the providers' secrets missing: exit %d, %q; want 2, -all needing -stream (the config read)", code, out.String())
	}
}

// TestTailConfigGivesNoStream: -config gives tail the NATS address and
// credentials, not the stream, and its help, its -all error and the README
// say so (the help said it took the stream from the config, and the README
// showed `tail -all` without -stream, which is refused).
func TestTailConfigGivesNoStream(t *testing.T) {
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	lookup("tail").define(fs)
	if u := fs.Lookup("config").Usage; !strings.Contains(u, "not the stream") {
		t.Errorf("tail -config's help is %q; want it to say the stream is not taken from the config", u)
	}
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, "providers:"+demoProvider)
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"tail", "-config", cfg, "-all", "webhooks.>"}, &out, &out); code != 2 || !strings.Contains(out.String(), "-all needs -stream (this config's stream is WEBHOOKS)") {
		t.Errorf("tail -config -all: exit %d, %q; want 2 naming the config's stream", code, out.String())
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(readme), "\n") {
		_, cmd, ok := strings.Cut(line, "hookgate tail ")
		if !ok {
			continue
		}
		cmd, _, _ = strings.Cut(cmd, "`")
		if strings.Contains(" "+cmd, " -all") && !strings.Contains(cmd, "-stream ") && !strings.HasPrefix(cmd, "[-all]") {
			t.Errorf("README.md:%d: %q: -all without -stream, which tail refuses", i+1, line)
		}
	}
}
