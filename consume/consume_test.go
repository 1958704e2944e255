package consume_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/internal/testkit"
)

func noop(context.Context, *consume.Event) error { return nil }

func TestSubscribeRefuses(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStream(t, js, "WEBHOOKS", "webhooks.>")
	MustStream(t, js, "LOOP", "loop.>", "hookgate.dead.>")
	cases := []struct {
		name    string
		opts    consume.Options
		wantErr error
		wantIn  string // in the error's text
	}{
		{"no durable", consume.Options{}, consume.ErrOptions, "Durable"},
		{"durable with a dot", consume.Options{Durable: "a.b"}, consume.ErrOptions, "Durable"},
		{"dead-letter subject with a wildcard", consume.Options{Durable: "svc", DeadLetterSubject: "dead.*"}, consume.ErrOptions, "dead.*"},
		{"create outside hookgate.dead", consume.Options{Durable: "svc", DeadLetterSubject: "dead.svc", CreateDeadLetterStream: true}, consume.ErrOptions, "hookgate.dead.>"},
		{"no stream", consume.Options{Durable: "svc", Stream: "MISSING"}, jetstream.ErrStreamNotFound, "MISSING"},
		{"no dead-letter stream", consume.Options{Durable: "svc", DeadLetterSubject: "dead.svc"}, consume.ErrNoDeadLetterStream, "dead.svc"},
		{"loop with >", consume.Options{Durable: "svc", Stream: "LOOP", Subjects: []string{">"}}, consume.ErrDeadLetterLoop, "hookgate.dead.svc"},
		{"loop by default", consume.Options{Durable: "svc", Stream: "LOOP"}, consume.ErrDeadLetterLoop, "hookgate.dead.>"},
		{"loop with *", consume.Options{Durable: "svc", Stream: "LOOP", Subjects: []string{"loop.>", "hookgate.*.svc"}}, consume.ErrDeadLetterLoop, "hookgate.*.svc"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub, err := consume.Subscribe(context.Background(), js, tc.opts, noop)
			if err == nil {
				sub.Stop(context.Background())
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(fmt.Sprint(err), tc.wantIn) {
				t.Errorf("Subscribe(%+v) = %v; want %v naming %q", tc.opts, err, tc.wantErr, tc.wantIn)
			}
		})
	}
	t.Run("no handler", func(t *testing.T) {
		if _, err := consume.Subscribe(context.Background(), js, consume.Options{Durable: "svc"}, nil); !errors.Is(err, consume.ErrOptions) {
			t.Errorf("Subscribe(nil handler) = %v; want ErrOptions", err)
		}
	})
}

func TestSubscribeDeadLetterStreams(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStream(t, js, "WEBHOOKS", "webhooks.>", "hookgate.dead.>")
	// The stream read stores the dead letters too; a filter that does not
	// match them is fine.
	MustSubscribe(t, js, consume.Options{Durable: "narrow", Subjects: []string{"webhooks.>"}}, noop, nil)

	// Another server, without a stream on hookgate.dead.>.
	_, js = MustJS(t, MustNATS(t))
	MustStream(t, js, "OTHER", "other.>")
	sub, err := consume.Subscribe(context.Background(), js, consume.Options{Durable: "svc", Stream: "OTHER", DeadLetterSubject: "other2.svc"}, noop)
	if !errors.Is(err, consume.ErrNoDeadLetterStream) {
		sub.Stop(context.Background())
		t.Fatalf("Subscribe without a dead-letter stream = %v; want ErrNoDeadLetterStream", err)
	}
	// Created on demand, once for two subscriptions.
	for _, durable := range []string{"one", "two"} {
		MustSubscribe(t, js, consume.Options{Durable: durable, Stream: "OTHER", CreateDeadLetterStream: true}, noop, nil)
	}
	st, err := js.Stream(context.Background(), consume.DeadLetterStream)
	if err != nil {
		t.Fatalf("dead-letter stream: %v", err)
	}
	if got := st.CachedInfo().Config.Subjects; len(got) != 1 || got[0] != consume.DeadLetterSubjects {
		t.Errorf("dead-letter stream subjects = %q; want [%s]", got, consume.DeadLetterSubjects)
	}
	if got := consumerInfo(t, js, "OTHER", "one").Config; got.FilterSubject != "other.>" || got.MaxDeliver != -1 || got.AckPolicy != jetstream.AckExplicitPolicy {
		t.Errorf("consumer config: filter %q, max deliver %d, ack %v; want other.>, -1, explicit", got.FilterSubject, got.MaxDeliver, got.AckPolicy)
	}
}

// TestSubscribeUpdates: a second Subscribe with other settings updates the
// durable consumer.
func TestSubscribeUpdates(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	sub := MustSubscribe(t, js, consume.Options{Durable: "svc", Subjects: []string{"webhooks.a.>"}}, noop, nil)
	if err := sub.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	MustSubscribe(t, js, consume.Options{Durable: "svc", Subjects: []string{"webhooks.a.>", "webhooks.b.>"}, AckWait: 5 * time.Second, MaxAckPending: 10}, noop, nil)
	got := consumerInfo(t, js, "WEBHOOKS", "svc").Config
	if len(got.FilterSubjects) != 2 || got.AckWait != 5*time.Second || got.MaxAckPending != 10 {
		t.Errorf("updated consumer: filters %q, ack wait %s, max ack pending %d; want 2 filters, 5s, 10", got.FilterSubjects, got.AckWait, got.MaxAckPending)
	}
}

func TestEvent(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	m := msg{id: "evt_1", key: "cus_1", version: "7", header: nats.Header{
		"Hookgate-Route":           {"vip"},
		"Nats-Msg-Id":              {"stripe@vip:evt_1:replay:r1"},
		"Hookgate-Replay":          {"r1"},
		"Hookgate-Stale":           {"true"},
		"Hookgate-Current-Version": {"9"},
	}, subject: "webhooks.vip.stripe"}.natsMsg()
	seq := MustPublish(t, js, m)[0]
	got := make(chan *consume.Event, 1)
	MustSubscribe(t, js, consume.Options{Durable: "svc"}, func(_ context.Context, ev *consume.Event) error {
		got <- ev
		return nil
	}, nil)
	var ev *consume.Event
	select {
	case ev = <-got:
	case <-time.After(within):
		t.Fatal("no event")
	}
	want := consume.Event{ID: "evt_1", Provider: "stripe", Type: "invoice.paid", OrderingKey: "cus_1", Version: "7",
		ReceivedAt: time.Date(2025, 12, 4, 12, 0, 0, 0, time.UTC), ContentType: "application/json", Replay: "r1",
		Stale: true, CurrentVersion: "9", Route: "vip", Subject: "webhooks.vip.stripe", MsgID: "stripe@vip:evt_1:replay:r1",
		Stream: "WEBHOOKS", Sequence: seq, Attempt: 1}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"ID", ev.ID, want.ID}, {"Provider", ev.Provider, want.Provider}, {"Type", ev.Type, want.Type},
		{"OrderingKey", ev.OrderingKey, want.OrderingKey}, {"Version", ev.Version, want.Version},
		{"ReceivedAt", ev.ReceivedAt.UTC(), want.ReceivedAt}, {"ContentType", ev.ContentType, want.ContentType},
		{"Replay", ev.Replay, want.Replay}, {"Stale", ev.Stale, want.Stale}, {"CurrentVersion", ev.CurrentVersion, want.CurrentVersion},
		{"Route", ev.Route, want.Route}, {"Subject", ev.Subject, want.Subject}, {"MsgID", ev.MsgID, want.MsgID},
		{"Stream", ev.Stream, want.Stream}, {"Sequence", ev.Sequence, want.Sequence}, {"Attempt", ev.Attempt, want.Attempt},
		{"Key", ev.Key(), "stripe@vip:evt_1"}, {"Body", string(ev.Body), `{"id":"evt_1"}`},
		{"Header", ev.Header.Get("Hookgate-Event-Type"), "invoice.paid"},
	} {
		if c.got != c.want {
			t.Errorf("Event.%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if time.Since(ev.Stored) > time.Minute || ev.Stored.After(time.Now()) {
		t.Errorf("Event.Stored = %s; want a moment ago", ev.Stored)
	}
	var body struct{ ID string }
	if err := ev.Decode(&body); err != nil || body.ID != "evt_1" {
		t.Errorf("Decode = %+v, %v; want evt_1", body, err)
	}
}

// TestVerify: forged, unsigned, unknown-key and replayed (too old) messages
// never reach the handler; they are dead-lettered with the reason,
// terminated and logged. A signed message is handled.
func TestVerify(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	gateway := bussig.NewSigner(testKey("gateway"))
	stranger := bussig.NewSigner(testKey("stranger"))
	old := bussig.NewSigner(testKey("gateway"))
	old.Now = func() time.Time { return time.Now().Add(-10 * time.Minute) }
	forged := sign(gateway, msg{id: "evt_forged", key: "cus_1", version: "1"}.natsMsg())
	forged.Data = []byte(`{"id":"evt_forged","amount":1000000}`)
	cases := []struct {
		name    string
		m       *nats.Msg
		wantErr error // nil: handled
	}{
		{"signed", sign(gateway, msg{id: "evt_ok", key: "cus_1", version: "2"}.natsMsg()), nil},
		{"unsigned", msg{id: "evt_unsigned", key: "cus_1", version: "3"}.natsMsg(), bussig.ErrUnsigned},
		{"forged", forged, bussig.ErrForged},
		{"unknown key", sign(stranger, msg{id: "evt_stranger"}.natsMsg()), bussig.ErrUnknownKey},
		{"replayed later", sign(old, msg{id: "evt_old"}.natsMsg()), bussig.ErrTooOld},
		{"signed after", sign(gateway, msg{id: "evt_ok2", key: "cus_1", version: "4"}.natsMsg()), nil},
	}
	var msgs []*nats.Msg
	for _, tc := range cases {
		msgs = append(msgs, tc.m)
	}
	seqs := MustPublish(t, js, msgs...)
	verifier, err := bussig.NewVerifier(gateway.Public())
	if err != nil {
		t.Fatal(err)
	}
	var got recorder
	logs := &Logs{}
	MustSubscribe(t, js, consume.Options{Durable: "svc", Verify: verifier, Concurrency: 2}, func(_ context.Context, ev *consume.Event) error {
		got.add(ev)
		return nil
	}, logs)
	WaitSettled(t, js, "WEBHOOKS", "svc", seqs[len(seqs)-1])
	dead := deadLetters(t, js, 4)
	bySeq := map[string]jetstream.Msg{}
	for _, d := range dead {
		bySeq[d.Headers().Get(consume.HeaderDeadSequence)] = d
	}
	handled := map[string]bool{}
	for _, ev := range got.all() {
		handled[ev.ID] = true
	}
	for i, tc := range cases {
		id := tc.m.Header.Get("Hookgate-Event-Id")
		d, isDead := bySeq[fmt.Sprint(seqs[i])]
		switch {
		case tc.wantErr == nil && (!handled[id] || isDead):
			t.Errorf("%s: handled %v, dead-lettered %v; want handled", tc.name, handled[id], isDead)
		case tc.wantErr != nil && (handled[id] || !isDead):
			t.Errorf("%s: handled %v, dead-lettered %v; want dead-lettered", tc.name, handled[id], isDead)
		case tc.wantErr != nil:
			h := d.Headers()
			if h.Get(consume.HeaderDeadReason) != consume.ReasonRefused || !strings.Contains(h.Get(consume.HeaderDeadError), tc.wantErr.Error()) {
				t.Errorf("%s: dead letter reason %q, error %q; want %q, %q", tc.name, h.Get(consume.HeaderDeadReason),
					h.Get(consume.HeaderDeadError), consume.ReasonRefused, tc.wantErr)
			}
			if string(d.Data()) != string(tc.m.Data) || h.Get(bussig.Header) != tc.m.Header.Get(bussig.Header) {
				t.Errorf("%s: dead letter body %q, signature %q; want the original's", tc.name, d.Data(), h.Get(bussig.Header))
			}
		}
	}
	if n := logs.Count("consume: message refused"); n != 4 {
		t.Errorf("%d refusals logged; want 4:\n%s", n, logs)
	}
	if evs := got.all(); len(evs) != 2 || evs[0].ID != "evt_ok" || evs[1].ID != "evt_ok2" {
		t.Errorf("handled %d events; want evt_ok, evt_ok2 in order", len(evs))
	}
}

// TestDeadLetter: a handler that keeps failing is called MaxDeliver times;
// one that fails with Permanent once; then the message is dead-lettered
// (body and headers kept, the dead-letter headers added) and terminated.
func TestDeadLetter(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		wantCalls  int
		wantReason string
	}{
		{"max deliver", errors.New("boom"), 3, consume.ReasonMaxDeliver},
		{"permanent", consume.Permanent(errors.New("boom")), 1, consume.ReasonPermanent},
		{"panic", nil, 3, consume.ReasonMaxDeliver},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := MustNATS(t)
			_, js := MustJS(t, ns)
			MustStreams(t, js)
			signer := bussig.NewSigner(testKey("gateway"))
			m := sign(signer, msg{id: "evt_1", key: "cus_1", version: "1"}.natsMsg())
			seq := MustPublish(t, js, m)[0]
			var calls recorder
			logs := &Logs{}
			MustSubscribe(t, js, consume.Options{Durable: "svc", MaxDeliver: 3}, func(_ context.Context, ev *consume.Event) error {
				calls.add(ev)
				if tc.err == nil {
					panic("boom")
				}
				return tc.err
			}, logs)
			WaitSettled(t, js, "WEBHOOKS", "svc", seq)
			d := deadLetters(t, js, 1)[0]
			if calls.len() != tc.wantCalls {
				t.Errorf("handler called %d times; want %d", calls.len(), tc.wantCalls)
			}
			for i, ev := range calls.all() {
				if ev.Attempt != i+1 {
					t.Errorf("call %d: Attempt = %d; want %d", i, ev.Attempt, i+1)
				}
			}
			checkDeadLetter(t, d, m, seq, tc.wantReason, tc.wantCalls)
			checkDeadSignature(t, d, signer)
			if n := logs.Count("consume: message dead-lettered"); n != 1 {
				t.Errorf("%d dead letters logged; want 1:\n%s", n, logs)
			}
		})
	}
}

func checkDeadLetter(t *testing.T, d jetstream.Msg, orig *nats.Msg, seq uint64, reason string, attempts int) {
	t.Helper()
	h := d.Headers()
	want := map[string]string{
		consume.HeaderDeadReason:   reason,
		consume.HeaderDeadSubject:  orig.Subject,
		consume.HeaderDeadStream:   "WEBHOOKS",
		consume.HeaderDeadSequence: fmt.Sprint(seq),
		consume.HeaderDeadAttempts: fmt.Sprint(attempts),
		consume.HeaderDeadConsumer: "svc",
		consume.HeaderDeadMsgID:    orig.Header.Get("Nats-Msg-Id"),
		"Hookgate-Event-Id":        orig.Header.Get("Hookgate-Event-Id"),
		"Hookgate-Ordering-Key":    orig.Header.Get("Hookgate-Ordering-Key"),
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("dead letter %s = %q; want %q", k, got, v)
		}
	}
	if !strings.Contains(h.Get(consume.HeaderDeadError), "boom") {
		t.Errorf("dead letter %s = %q; want the handler's error", consume.HeaderDeadError, h.Get(consume.HeaderDeadError))
	}
	if d.Subject() != "hookgate.dead.svc" || string(d.Data()) != string(orig.Data) {
		t.Errorf("dead letter on %s with %q; want hookgate.dead.svc with %q", d.Subject(), d.Data(), orig.Data)
	}
}

// checkDeadSignature: a dead letter's signature verifies without its
// Hookgate-Dead-* headers, with the original message ID and subject.
func checkDeadSignature(t *testing.T, d jetstream.Msg, signer *bussig.Signer) {
	t.Helper()
	v, err := bussig.NewVerifier(signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	h := nats.Header{}
	for k, vs := range d.Headers() {
		if !strings.HasPrefix(k, "Hookgate-Dead-") {
			h[k] = vs
		}
	}
	dh := d.Headers()
	if _, err := v.Verify(dh.Get(consume.HeaderDeadMsgID), dh.Get(consume.HeaderDeadSubject), h, d.Data(), time.Time{}); err != nil {
		t.Errorf("the dead letter's signature: %v", err)
	}
}

// TestDeadLetterPublishFails: while the dead letter cannot be stored, the
// message is not terminated: it stays pending, and its key held back, and
// the publish is tried again (without calling the handler again) until it
// is stored.
func TestDeadLetterPublishFails(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	first := msg{id: "evt_1", key: "cus_1", version: "1"}.natsMsg()
	var calls recorder
	logs := &Logs{}
	MustSubscribe(t, js, consume.Options{Durable: "svc"}, func(_ context.Context, ev *consume.Event) error {
		calls.add(ev)
		if ev.ID == "evt_1" {
			return consume.Permanent(errors.New("boom"))
		}
		return nil
	}, logs)
	// Taken away after Subscribe checked it, before the messages come.
	if err := js.DeleteStream(context.Background(), consume.DeadLetterStream); err != nil {
		t.Fatal(err)
	}
	seqs := MustPublish(t, js, first, msg{id: "evt_2", key: "cus_1", version: "2"}.natsMsg())
	testkit.WaitFor(t, within, func() string { return "no failed dead-letter publish logged:\n" + logs.String() }, func() bool {
		return logs.Count("consume: dead-letter publish failed") >= 2
	})
	info := consumerInfo(t, js, "WEBHOOKS", "svc")
	if info.AckFloor.Stream >= seqs[0] || info.NumAckPending != 2 {
		t.Errorf("while the dead letter is not stored: ack floor %d, %d pending acks; want below %d, 2", info.AckFloor.Stream, info.NumAckPending, seqs[0])
	}
	if calls.len() != 1 {
		t.Errorf("handler called %d times while the dead letter waits; want 1 (evt_2 held back)", calls.len())
	}
	MustStream(t, js, consume.DeadLetterStream, consume.DeadLetterSubjects)
	WaitSettled(t, js, "WEBHOOKS", "svc", seqs[1])
	checkDeadLetter(t, deadLetters(t, js, 1)[0], first, seqs[0], consume.ReasonPermanent, 1)
	if evs := calls.all(); len(evs) != 2 || evs[1].ID != "evt_2" {
		t.Errorf("handler called %d times; want evt_1 once, then evt_2", len(evs))
	}
}

// TestDeadLetterNearMaxPayload: a dead letter is its message plus headers;
// for a message near the server's max_payload its error is cut to fit, and
// one that cannot fit even without it stays pending, logged with the sizes.
func TestDeadLetterNearMaxPayload(t *testing.T) {
	const maxPayload = 4096
	longErr := "boom " + strings.Repeat("x", 900)
	for _, tc := range []struct {
		name   string
		body   int  // bytes of the body
		stored bool // whether the dead letter fits
	}{
		{"error cut", 3300, true},
		{"too large even without the error", 3700, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := mustNATS(t, maxPayload)
			_, js := MustJS(t, ns)
			MustStreams(t, js)
			m := msg{id: "evt_1", body: `{"x":"` + strings.Repeat("a", tc.body) + `"}`}.natsMsg()
			seq := MustPublish(t, js, m)[0] // fits, with its headers
			logs := &Logs{}
			MustSubscribe(t, js, consume.Options{Durable: "svc"}, func(context.Context, *consume.Event) error {
				return consume.Permanent(errors.New(longErr))
			}, logs)
			if !tc.stored {
				testkit.WaitFor(t, within, func() string { return "no failed dead-letter publish logged:\n" + logs.String() }, func() bool {
					return logs.Count("even without its error") >= 1
				})
				if info := consumerInfo(t, js, "WEBHOOKS", "svc"); info.NumAckPending != 1 {
					t.Errorf("%d pending acks; want the message held", info.NumAckPending)
				}
				return
			}
			WaitSettled(t, js, "WEBHOOKS", "svc", seq)
			d := deadLetters(t, js, 1)[0]
			if e := d.Headers().Get(consume.HeaderDeadError); len(e) >= len(longErr) || !strings.Contains(e, "boom x") {
				t.Errorf("dead letter's error is %d bytes (%.20q...); want the error's start, cut", len(e), e)
			}
			if string(d.Data()) != string(m.Data) {
				t.Error("dead letter's body differs from the message's")
			}
		})
	}
}

// TestInternalSubjects: the gateway's _hg.> records are acknowledged and
// never handled, with the default filter (which leaves them out) and with
// ">".
func TestInternalSubjects(t *testing.T) {
	for _, filter := range []string{"", ">"} {
		t.Run("filter "+filter, func(t *testing.T) {
			ns := MustNATS(t)
			_, js := MustJS(t, ns)
			MustStream(t, js, "WEBHOOKS", "webhooks.>", "_hg.claim.>", "_hg.ver.>")
			MustStream(t, js, consume.DeadLetterStream, consume.DeadLetterSubjects)
			seqs := MustPublish(t, js,
				&nats.Msg{Subject: "_hg.claim.abc"},
				&nats.Msg{Subject: "_hg.ver.def", Data: []byte("7")},
				msg{id: "evt_1"}.natsMsg(),
				&nats.Msg{Subject: "_hg.claim.ghi"},
			)
			opts := consume.Options{Durable: "svc"}
			if filter != "" {
				opts.Subjects = []string{filter}
			}
			var got recorder
			MustSubscribe(t, js, opts, func(_ context.Context, ev *consume.Event) error {
				got.add(ev)
				return nil
			}, nil)
			last := seqs[3]
			if filter == "" {
				last = seqs[2] // the consumer does not see the last claim
			}
			WaitSettled(t, js, "WEBHOOKS", "svc", last)
			if evs := got.all(); len(evs) != 1 || evs[0].Subject != "webhooks.stripe.invoice.paid" {
				t.Errorf("handled %d events; want only webhooks.stripe.invoice.paid", len(evs))
			}
			cfg := consumerInfo(t, js, "WEBHOOKS", "svc").Config
			if want := map[string]string{"": "webhooks.>", ">": ">"}[filter]; cfg.FilterSubject != want {
				t.Errorf("consumer filter = %q; want %q", cfg.FilterSubject, want)
			}
		})
	}
}

// TestOrderPerKey: with 4 workers and failures injected, each key's
// messages are handled one at a time, in stream order.
func TestOrderPerKey(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	const keys, versions = 8, 12
	var msgs []*nats.Msg
	for v := 1; v <= versions; v++ {
		for k := range keys {
			msgs = append(msgs, msg{id: fmt.Sprintf("evt_%d_%d", k, v), key: fmt.Sprintf("cus_%d", k), version: fmt.Sprint(v)}.natsMsg())
		}
		msgs = append(msgs, msg{id: fmt.Sprintf("evt_free_%d", v)}.natsMsg()) // no ordering key
	}
	seqs := MustPublish(t, js, msgs...)
	var (
		inFlight [keys]atomic.Int32
		overlap  atomic.Int32
		failures atomic.Int32
		handled  recorder
	)
	MustSubscribe(t, js, consume.Options{Durable: "svc", Concurrency: 4, MaxDeliver: 10}, func(_ context.Context, ev *consume.Event) error {
		if ev.OrderingKey == "" {
			handled.add(ev)
			return nil
		}
		var k int
		fmt.Sscanf(ev.OrderingKey, "cus_%d", &k)
		if inFlight[k].Add(1) > 1 {
			overlap.Add(1)
		}
		defer inFlight[k].Add(-1)
		// Every third message fails twice, every fifth once more.
		if (ev.Sequence%3 == 0 && ev.Attempt <= 2) || (ev.Sequence%5 == 0 && ev.Attempt <= 1) {
			failures.Add(1)
			return fmt.Errorf("injected failure of %s", ev.ID)
		}
		handled.add(ev)
		return nil
	}, nil)
	WaitSettled(t, js, "WEBHOOKS", "svc", seqs[len(seqs)-1])
	if n := failures.Load(); n < 30 {
		t.Errorf("%d failures injected; want at least 30", n)
	}
	if n := overlap.Load(); n > 0 {
		t.Errorf("%d calls overlapped another of the same key", n)
	}
	next := map[string]int{}
	free := 0
	for _, ev := range handled.all() {
		if ev.OrderingKey == "" {
			free++
			continue
		}
		next[ev.OrderingKey]++
		if ev.Version != fmt.Sprint(next[ev.OrderingKey]) {
			t.Errorf("%s: version %s handled in position %d", ev.OrderingKey, ev.Version, next[ev.OrderingKey])
		}
	}
	if len(next) != keys || free != versions || handled.len() != keys*versions+versions {
		t.Errorf("handled %d events of %d keys and %d without a key; want %d of %d and %d", handled.len(), len(next), free, keys*versions+versions, keys, versions)
	}
}

// TestNoHeadOfLineBlocking: a key whose head is backing off holds back its
// own later messages only, even with one worker.
func TestNoHeadOfLineBlocking(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	seqs := MustPublish(t, js,
		msg{id: "a1", key: "A", version: "1"}.natsMsg(),
		msg{id: "a2", key: "A", version: "2"}.natsMsg(),
		msg{id: "b1", key: "B", version: "1"}.natsMsg(),
		msg{id: "c1"}.natsMsg(),
		msg{id: "b2", key: "B", version: "2"}.natsMsg(),
	)
	var handled recorder
	sub := MustSubscribe(t, js, consume.Options{Durable: "svc", Backoff: []time.Duration{time.Hour}}, func(_ context.Context, ev *consume.Event) error {
		handled.add(ev)
		if ev.ID == "a1" {
			return errors.New("not yet")
		}
		return nil
	}, nil)
	testkit.WaitFor(t, within, func() string { return fmt.Sprintf("%d handled; want a1, b1, c1, b2", handled.len()) }, func() bool { return handled.len() >= 4 })
	var ids []string
	for _, ev := range handled.all() {
		ids = append(ids, ev.ID)
	}
	if got := strings.Join(ids, " "); got != "a1 b1 c1 b2" {
		t.Errorf("handled %s; want a1 b1 c1 b2 (a2 behind a1's backoff)", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := sub.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	info := consumerInfo(t, js, "WEBHOOKS", "svc")
	if info.NumAckPending != 2 || info.AckFloor.Stream >= seqs[0] {
		t.Errorf("after Stop: %d pending acks, ack floor %d; want a1 and a2 pending", info.NumAckPending, info.AckFloor.Stream)
	}
}

// TestConcurrency: different keys run at once, up to Concurrency.
func TestConcurrency(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	const n = 4
	var msgs []*nats.Msg
	for i := range n {
		msgs = append(msgs, msg{id: fmt.Sprint("evt_", i), key: fmt.Sprint("cus_", i), version: "1"}.natsMsg())
	}
	seqs := MustPublish(t, js, msgs...)
	var running, most atomic.Int32
	all := make(chan struct{})
	MustSubscribe(t, js, consume.Options{Durable: "svc", Concurrency: n}, func(ctx context.Context, ev *consume.Event) error {
		r := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if r <= m || most.CompareAndSwap(m, r) {
				break
			}
		}
		if r == n {
			close(all)
		}
		select { // every handler waits until all run at once
		case <-all:
			return nil
		case <-time.After(within):
			return errors.New("not all at once")
		}
	}, nil)
	WaitSettled(t, js, "WEBHOOKS", "svc", seqs[n-1])
	if m := most.Load(); m != n {
		t.Errorf("at most %d handlers at once; want %d", m, n)
	}
}
