package gateway

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// signingKey writes a new Ed25519 private key to a file and returns the
// file and the key's public half.
func signingKey(tb testing.TB) (string, ed25519.PublicKey) {
	tb.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	pem, err := bussig.MarshalPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "bus-signing.pem")
	if err := os.WriteFile(path, pem, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path, pub
}

// streamMessages reads every message of the stream WEBHOOKS at url whose
// subject is not an internal one (_hg.>), once it holds at least want of
// them.
func streamMessages(tb testing.TB, url string, want int) []*jetstream.RawStreamMsg {
	tb.Helper()
	st := testkit.Stream(tb, url, forward.DefaultStreamName)
	testkit.WaitFor(tb, 10*time.Second, func() string {
		return fmt.Sprintf("fewer than %d messages on webhooks.>", want)
	}, func() bool { return testkit.SubjectCount(tb, st, "webhooks.>") >= want })
	info, err := st.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var msgs []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(context.Background(), seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if m.Subject[0] != '_' {
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// checkSigned verifies each message with the public key, against the
// time the stream stored it, and fails for one that does not verify.
func checkSigned(tb testing.TB, msgs []*jetstream.RawStreamMsg, pub ed25519.PublicKey) {
	tb.Helper()
	v, err := bussig.NewVerifier(pub)
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range msgs {
		if _, err := v.Verify(m.Header.Get(forward.HeaderMsgID), m.Subject, m.Header, m.Data, m.Time); err != nil {
			tb.Errorf("message %d on %s: Verify = %v; want a valid signature", m.Sequence, m.Subject, err)
		}
	}
}

// TestSignedMessages: with nats.sign every message the gateway publishes
// carries a signature that the public key verifies, against the time the
// stream stored it: the event's own message, its route copies and, with
// the sqlite backend, a replay (published again later, signed again).
// Another key's verifier refuses them.
func TestSignedMessages(t *testing.T) {
	for _, backend := range []string{"sqlite", "jetstream"} {
		t.Run(backend, func(t *testing.T) {
			keyFile, pub := signingKey(t)
			natsYAML, url := "nats: {port: -1, sign: {key_file: "+keyFile+"}}", ""
			extra := "archive: {enabled: true}"
			if backend == "jetstream" {
				ns := testkit.StartNATS(t)
				url = ns.URL()
				natsYAML = fmt.Sprintf("nats: {url: %q, create_stream: true, sign: {key_file: %s}}", url, keyFile)
				extra = "storage: {backend: jetstream}"
			}
			s := mustOpen(t, mustValid(t, testkit.GatewayYAML(t.TempDir(), natsYAML, extra,
				"providers:"+providerYAML("shop", "stripe", "whsec_a"), routesYAML)))
			if url == "" {
				url = s.NATSURL()
			}
			body := `{"id":"evt_big","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1","amount_paid":250000}}}`
			if code := postTo(t, s, stripeRequest(t, body, "whsec_a", time.Now())); code != 202 {
				t.Fatalf("evt_big: %d; want 202", code)
			}
			want := 3 // the event and the copies of routes big and audit
			if backend == "sqlite" {
				if _, c, err := s.Replay(context.Background(), forward.Query{Provider: "shop"}, ""); err != nil || c.Messages != 1 {
					t.Fatalf("Replay = %+v, %v; want 1 message", c, err)
				}
				want++
			}
			msgs := streamMessages(t, url, want)
			if len(msgs) != want {
				t.Fatalf("%d messages on the stream; want %d", len(msgs), want)
			}
			checkSigned(t, msgs, pub)
			replays := 0
			for _, m := range msgs {
				if m.Header.Get(forward.HeaderReplay) != "" {
					replays++
				}
			}
			if backend == "sqlite" && replays != 1 {
				t.Errorf("%d replayed messages; want 1", replays)
			}
			_, other := signingKey(t)
			v, _ := bussig.NewVerifier(other)
			if _, err := v.Verify(msgs[0].Header.Get(forward.HeaderMsgID), msgs[0].Subject, msgs[0].Header, msgs[0].Data, msgs[0].Time); !errors.Is(err, bussig.ErrUnknownKey) {
				t.Errorf("Verify with another key = %v; want ErrUnknownKey", err)
			}
		})
	}
}

// TestSignedCoreMessages: in core mode a subscriber receives signed
// messages too (no stored time: no age check).
func TestSignedCoreMessages(t *testing.T) {
	keyFile, pub := signingKey(t)
	s := mustOpen(t, mustValid(t, testkit.GatewayYAML(t.TempDir(), "nats: {port: -1, mode: core, sign: {key_file: "+keyFile+"}}",
		"providers:"+providerYAML("shop", "stripe", "whsec_a"))))
	nc, err := nats.Connect(s.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	sub, err := nc.SubscribeSync("webhooks.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	if code := postTo(t, s, stripeRequest(t, stripeBody("evt_core", "invoice.paid", "in_1", 1), "whsec_a", time.Now())); code != 202 {
		t.Fatalf("post: %d; want 202", code)
	}
	m, err := sub.NextMsg(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := bussig.NewVerifier(pub)
	if _, err := v.Verify(m.Header.Get(forward.HeaderMsgID), m.Subject, m.Header, m.Data, time.Time{}); err != nil {
		t.Errorf("Verify = %v; want a valid signature", err)
	}
}
