package consume_test

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
)

// Example reads hookgate's stream with signature checks and the
// once-per-event guard: a signed event is handled; a forged one never
// reaches the handler and is dead-lettered.
func Example() {
	natsURL, gateway, stop := exampleGateway()
	defer stop()
	gateway.publish("evt_1", `{"customer":"cus_42"}`, true)
	gateway.publish("evt_2", `{"customer":"cus_7"}`, false) // its body changed after signing

	// The service.
	ctx := context.Background()
	nc, err := nats.Connect(natsURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	verifier, _ := bussig.NewVerifier(gateway.publicKey) // bussig.LoadPublicKey reads the gateway's key file
	handled := make(chan struct{})
	sub, err := consume.Subscribe(ctx, js, consume.Options{
		Durable:                "billing",
		Verify:                 verifier,
		CreateDeadLetterStream: true,
		Logger:                 slog.New(slog.DiscardHandler), // the example prints its own output
	}, consume.Once(consume.NewMemoryStore(0, 0), func(ctx context.Context, ev *consume.Event) error {
		var invoice struct{ Customer string }
		if err := ev.Decode(&invoice); err != nil {
			return consume.Permanent(err)
		}
		fmt.Printf("%s %s for %s, attempt %d\n", ev.Type, ev.ID, invoice.Customer, ev.Attempt)
		close(handled)
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	<-handled

	// The dead letter of the forged message.
	dead, _ := js.OrderedConsumer(ctx, consume.DeadLetterStream, jetstream.OrderedConsumerConfig{})
	m, err := dead.Next(jetstream.FetchMaxWait(30 * time.Second))
	if err != nil {
		fmt.Println(err)
		return
	}
	reason, _, _ := strings.Cut(m.Headers().Get(consume.HeaderDeadError), " (") // then the key ID
	fmt.Printf("dead letter on %s: %s %s (%s)\n", m.Subject(), m.Headers().Get("Hookgate-Event-Id"),
		m.Headers().Get(consume.HeaderDeadReason), reason)

	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	fmt.Println("stopped:", sub.Stop(stopCtx))
	// Output:
	// invoice.paid evt_1 for cus_42, attempt 1
	// dead letter on hookgate.dead.billing: evt_2 refused (bussig: signature does not match the message)
	// stopped: <nil>
}

// ExampleOnce: an admin replay of an event already handled (Nats-Msg-Id
// "stripe:evt_1:replay:<id>") has the original's key, and Once skips it.
func ExampleOnce() {
	natsURL, gateway, stop := exampleGateway()
	defer stop()
	gateway.publish("evt_1", `{}`, true)
	gateway.publishReplay("evt_1", "r-2025-12-04")
	gateway.publish("evt_2", `{}`, true)

	nc, err := nats.Connect(natsURL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	last := make(chan struct{})
	sub, err := consume.Subscribe(context.Background(), js, consume.Options{
		Durable:                "audit",
		CreateDeadLetterStream: true,
	}, consume.Once(consume.NewMemoryStore(10_000, 24*time.Hour), func(ctx context.Context, ev *consume.Event) error {
		fmt.Printf("handled %s (key %s)\n", ev.MsgID, ev.Key())
		if ev.ID == "evt_2" {
			close(last)
		}
		return nil
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	<-last
	sub.Stop(context.Background())
	// Output:
	// handled stripe:evt_1 (key stripe:evt_1)
	// handled stripe:evt_2 (key stripe:evt_2)
}

// exampleGateway starts an embedded NATS server with the WEBHOOKS stream,
// and returns its URL, a stand-in for the gateway that publishes to it,
// and a function that stops both.
func exampleGateway() (string, *fakeGateway, func()) {
	dir, err := os.MkdirTemp("", "consume-example")
	if err != nil {
		panic(err)
	}
	ns, err := startNATS(dir, 0)
	if err != nil {
		panic(err)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		panic(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		panic(err)
	}
	seed := sha256.Sum256([]byte("example gateway key"))
	signer := bussig.NewSigner(ed25519.NewKeyFromSeed(seed[:]))
	return ns.ClientURL(), &fakeGateway{js: js, signer: signer, publicKey: signer.Public()}, func() {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
		os.RemoveAll(dir)
	}
}

// fakeGateway publishes messages as hookgate does, signed.
type fakeGateway struct {
	js        jetstream.JetStream
	signer    *bussig.Signer
	publicKey ed25519.PublicKey
}

func (g *fakeGateway) publish(id, body string, intact bool) {
	m := sign(g.signer, msg{id: id, body: body}.natsMsg())
	if !intact {
		m.Data = append(m.Data, ' ')
	}
	if _, err := g.js.PublishMsg(context.Background(), m); err != nil {
		panic(err)
	}
}

func (g *fakeGateway) publishReplay(id, replayID string) {
	m := msg{id: id, body: `{}`}.natsMsg()
	m.Header.Set("Nats-Msg-Id", m.Header.Get("Nats-Msg-Id")+":replay:"+replayID)
	m.Header.Set("Hookgate-Replay", replayID)
	if _, err := g.js.PublishMsg(context.Background(), sign(g.signer, m)); err != nil {
		panic(err)
	}
}
