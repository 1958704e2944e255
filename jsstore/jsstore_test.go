package jsstore_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/jsstore"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/webhook"
	"github.com/hookgate/hookgate/webhook/decidertest"
)

// mustStream starts an embedded server with a stream that holds the
// decisions, and returns a JetStream context on it.
func mustStream(t testing.TB) (jetstream.JetStream, func()) {
	return mustStreamOn(t, forward.ServerConfig{})
}

// mustDecider is a decider (claims kept an hour) on a stream of a server of
// its own, and that stream.
func mustDecider(t testing.TB) (jetstream.JetStream, *jsstore.Decider, jetstream.Stream) {
	t.Helper()
	js, _ := mustStream(t)
	ctx := context.Background()
	d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	return js, d, st
}

// mustStreamOn is mustStream on a server configured by sc (its port and
// store are set here).
func mustStreamOn(t testing.TB, sc forward.ServerConfig) (jetstream.JetStream, func()) {
	t.Helper()
	sc.Port, sc.StoreDir = -1, t.TempDir()
	srv, err := forward.StartServer(sc)
	if err != nil {
		t.Fatal(err)
	}
	stop := func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
	t.Cleanup(stop)
	_, js := testkit.JetStream(t, srv.ClientURL(), nats.MaxReconnects(0))
	ctx := context.Background()
	if err := forward.EnsureStream(ctx, js, forward.StreamConfig{
		Duplicates: time.Second, Decisions: true, DecisionSubjects: jsstore.Subjects,
	}); err != nil {
		t.Fatal(err)
	}
	return js, stop
}

// TestConformance runs the deciders' shared suite on a stream of an
// embedded server; Expire waits until the stream has removed the claims
// and versions (Nats-TTL), Break stops the server.
func TestConformance(t *testing.T) {
	decidertest.Run(t, func(t *testing.T) *decidertest.Backend {
		js, stop := mustStream(t)
		ctx := context.Background()
		d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		// Generous: concurrent versions retry on contention, and a loaded
		// machine running -race slows each batch down.
		d.Timeout = 20 * time.Second
		st, err := js.Stream(ctx, forward.DefaultStreamName)
		if err != nil {
			t.Fatal(err)
		}
		return &decidertest.Backend{
			Decider: d,
			Forwarded: func(tb testing.TB) []string {
				return msgIDs(tb, st)
			},
			Expire: func(tb testing.TB) {
				n := 0
				testkit.WaitFor(tb, 3*decidertest.TTL+10*time.Second, func() string {
					return fmt.Sprintf("%d claims and versions still in the stream after their TTL", n)
				}, func() bool {
					n = internal(tb, st)
					return n == 0
				})
			},
			Break: func(testing.TB) { stop() },
		}
	})
}

// msgIDs returns the Nats-Msg-Id of every event in the stream, in order.
func msgIDs(tb testing.TB, st jetstream.Stream) []string {
	tb.Helper()
	ctx := context.Background()
	c, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"webhooks.>"}})
	if err != nil {
		tb.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("webhooks.>"))
	if err != nil {
		tb.Fatal(err)
	}
	var ids []string
	n := 0
	for _, count := range info.State.Subjects {
		n += int(count)
	}
	for len(ids) < n {
		msgs, err := c.Fetch(n-len(ids), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			tb.Fatal(err)
		}
		got := 0
		for m := range msgs.Messages() {
			ids = append(ids, m.Headers().Get(jetstream.MsgIDHeader))
			got++
		}
		if got == 0 {
			tb.Fatalf("read %d of %d events from the stream", len(ids), n)
		}
	}
	return ids
}

// internal counts the messages on the decisions' subjects.
func internal(tb testing.TB, st jetstream.Stream) int { return testkit.SubjectCount(tb, st, "_hg.>") }

// TestCheck: a stream without the decisions' features or subjects is
// refused, naming what it lacks.
func TestCheck(t *testing.T) {
	err := jsstore.Check(jetstream.StreamConfig{Name: "S", Subjects: []string{"webhooks.>"}, AllowDirect: true}, time.Hour)
	if !errors.Is(err, jsstore.ErrUnsupported) {
		t.Fatalf("Check = %v; want ErrUnsupported", err)
	}
	for _, want := range []string{"atomic batch publish", "per-message TTLs", "rollups", "the subject _hg.claim.>", "the subject _hg.ver.>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v; want it to name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "direct gets") {
		t.Errorf("Check = %v; direct gets are allowed", err)
	}
}

// TestCheckLimits: a stream that would remove claims and versions before
// their time, or keep them past it, is refused, naming why: retention
// other than limits (nothing reads the decisions' subjects), discard old
// with a message or byte limit, a max_age under the longest dedupe TTL,
// subject delete markers (they raise every message's TTL to theirs, and
// stand where a claim expired).
func TestCheckLimits(t *testing.T) {
	good := jetstream.StreamConfig{Name: "S", Subjects: append([]string{"webhooks.>"}, jsstore.Subjects...),
		AllowAtomicPublish: true, AllowMsgTTL: true, AllowRollup: true, AllowDirect: true}
	const ttl = 168 * time.Hour
	for _, c := range []struct {
		name string
		edit func(*jetstream.StreamConfig)
		ttl  time.Duration
		want string // "" for no error
	}{
		{"all it needs", func(*jetstream.StreamConfig) {}, ttl, ""},
		{"interest retention", func(c *jetstream.StreamConfig) { c.Retention = jetstream.InterestPolicy }, ttl, "limits retention (it keeps messages by Interest"},
		{"work-queue retention", func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy }, ttl, "limits retention"},
		{"max_msgs, discard old", func(c *jetstream.StreamConfig) { c.MaxMsgs = 5 }, ttl, "discard new when full"},
		{"max_bytes, discard old", func(c *jetstream.StreamConfig) { c.MaxBytes = 1 << 20 }, ttl, "discard new when full"},
		{"max_msgs, discard new", func(c *jetstream.StreamConfig) { c.MaxMsgs, c.Discard = 5, jetstream.DiscardNew }, ttl, ""},
		{"max_age under the TTL", func(c *jetstream.StreamConfig) { c.MaxAge = 24 * time.Hour }, ttl, "max_age of at least the longest dedupe.ttl, 168h0m0s (it is 24h0m0s"},
		{"max_age equal to the TTL", func(c *jetstream.StreamConfig) { c.MaxAge = ttl }, ttl, ""},
		{"max_age, no TTL to compare", func(c *jetstream.StreamConfig) { c.MaxAge = time.Minute }, 0, ""},
		{"subject delete markers", func(c *jetstream.StreamConfig) { c.SubjectDeleteMarkerTTL = time.Minute }, ttl, "an unset subject_delete_marker_ttl (it is 1m0s"},
		{"subject delete markers, no TTL to compare", func(c *jetstream.StreamConfig) { c.SubjectDeleteMarkerTTL = time.Minute }, 0, "subject_delete_marker_ttl"},
	} {
		cfg := good
		c.edit(&cfg)
		err := jsstore.Check(cfg, c.ttl)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: Check = %v; want nil", c.name, err)
		case c.want != "" && (!errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: Check = %v; want ErrUnsupported naming %q", c.name, err, c.want)
		}
	}
}

// TestDeleteMarkers: on a stream changed under a running gateway to leave
// subject delete markers (which Check refuses), a marker where an entity's
// version expired reads as no version, and one where a claim expired is
// no duplicate: the event's retry is answered unavailable (the sender
// retries after the marker has gone), not duplicate, and a new event of
// the entity is accepted, not refused.
func TestDeleteMarkers(t *testing.T) {
	js, d, st := mustDecider(t)
	ctx := context.Background()
	cfg := st.CachedInfo().Config
	cfg.SubjectDeleteMarkerTTL = 3 * time.Second // the claims' and versions' TTLs rise to it
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	first := decidertest.Event("e1", "x", 5)
	first.TTL = time.Second
	if got, err := d.Decide(ctx, first); err != nil || got != webhook.Accepted {
		t.Fatalf("Decide(e1) = %v, %v; want accepted", got, err)
	}
	// Both expire and leave a marker each, which lives 3s.
	markers := func() int {
		info, err := st.Info(ctx, jetstream.WithSubjectFilter("_hg.>"))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for subj := range info.State.Subjects {
			if m, err := st.GetLastMsgForSubject(ctx, subj); err == nil && m.Header.Get(jetstream.MarkerReasonHeader) != "" {
				n++
			}
		}
		return n
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a delete marker where the claim and the version were"), func() bool { return markers() == 2 })
	if got, err := d.Decide(ctx, decidertest.Event("e1", "", 0)); !errors.Is(err, jsstore.ErrUnavailable) || got != 0 {
		t.Errorf("Decide(e1 again, its claim expired) = %v, %v; want ErrUnavailable, not a duplicate", got, err)
	}
	if got, err := d.Decide(ctx, decidertest.Event("e2", "x", 1)); err != nil || got != webhook.Accepted {
		t.Errorf("Decide(e2 of x, its version expired) = %v, %v; want accepted", got, err)
	}
}

// TestLongTTL: a TTL past webhook.MaxTTL (the configuration refuses one,
// this is the defence) is cut to it: the server adds a message's TTL to
// its time in nanoseconds, and a longer one would wrap around and expire
// the claim at once, so that a retry would be accepted again.
func TestLongTTL(t *testing.T) {
	js, d, st := mustDecider(t)
	ctx := context.Background()
	ev := decidertest.Event("e1", "x", 5)
	ev.TTL = 2_200_000 * time.Hour
	if got, err := d.Decide(ctx, ev); err != nil || got != webhook.Accepted {
		t.Fatalf("Decide(e1) = %v, %v; want accepted", got, err)
	}
	// The server expires messages in the background, the earliest first:
	// once a message of a second's TTL has gone, so would have a claim
	// and version whose expiry wrapped around into the past. They stay,
	// and the retry is a duplicate.
	probe := nats.NewMsg(jsstore.ClaimPrefix + ".probe.x")
	probe.Header.Set(jetstream.MsgTTLHeader, "1")
	if _, err := js.PublishMsg(ctx, probe); err != nil {
		t.Fatal(err)
	}
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a message of a second's TTL gone from the stream"), func() bool {
		return testkit.SubjectCount(t, st, probe.Subject) == 0
	})
	if n := internal(t, st); n != 2 {
		t.Fatalf("%d claims and versions in the stream; want 2", n)
	}
	if got, err := d.Decide(ctx, ev); err != nil || got != webhook.Duplicate {
		t.Fatalf("Decide(e1 again) = %v, %v; want duplicate", got, err)
	}
}

// TestAllow: a longer TTL than the stream keeps messages is refused, and
// the TTL Ping checks against stays the last one allowed.
func TestAllow(t *testing.T) {
	js, _ := mustStream(t)
	ctx := context.Background()
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.MaxAge = 2 * time.Hour
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := jsstore.New(ctx, js, forward.DefaultStreamName, 3*time.Hour); !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "max_age") {
		t.Fatalf("New for a 3h TTL on a stream of max_age 2h = %v; want ErrUnsupported naming max_age", err)
	}
	d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Allow(ctx, 3*time.Hour); !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "max_age") {
		t.Fatalf("Allow(3h) = %v; want ErrUnsupported naming max_age", err)
	}
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping after a refused Allow = %v; want nil (the 1h TTL stands)", err)
	}
	if err := d.Allow(ctx, 2*time.Hour); err != nil {
		t.Fatalf("Allow(2h) = %v", err)
	}
	cfg.MaxAge = 90 * time.Minute
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(ctx); !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "2h0m0s") {
		t.Fatalf("Ping after max_age went under the allowed 2h = %v; want ErrUnsupported naming 2h0m0s", err)
	}
}

// TestCheckServer: servers older than 2.12 lack atomic batch publish.
func TestCheckServer(t *testing.T) {
	for _, c := range []struct {
		version string
		ok      bool
	}{
		{"2.12.0", true},
		{"2.15.2", true},
		{"3.0.0-beta.1", true},
		{"2.12.0+build", true},
		{"2.11.9", false},
		{"2.10.22", false},
		{"1.99.99", false},
		{"", false},
		{"2.x.1", false},
	} {
		err := jsstore.CheckServer(c.version)
		if (err == nil) != c.ok {
			t.Errorf("CheckServer(%q) = %v; want ok %v", c.version, err, c.ok)
		}
		if err != nil && !errors.Is(err, jsstore.ErrUnsupported) {
			t.Errorf("CheckServer(%q) = %v; want ErrUnsupported", c.version, err)
		}
	}
}

// TestNewRefusesPlainStream: a stream made without the decisions'
// features is refused at New, naming them; Ping notices a stream that
// lost them after New.
func TestNewRefusesPlainStream(t *testing.T) {
	js, _ := mustStream(t)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PLAIN", Subjects: []string{"plain.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := jsstore.New(ctx, js, "PLAIN", time.Hour); !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "atomic batch publish") {
		t.Fatalf("New on a plain stream = %v; want ErrUnsupported naming atomic batch publish", err)
	}
	if _, err := jsstore.New(ctx, js, "MISSING", time.Hour); err == nil {
		t.Fatal("New on a missing stream succeeded")
	}
	d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(ctx); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.AllowRollup = false
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := d.Ping(ctx); !errors.Is(err, jsstore.ErrUnsupported) || !strings.Contains(err.Error(), "rollups") {
		t.Fatalf("Ping after rollups were turned off = %v; want ErrUnsupported naming rollups", err)
	}
}

// TestDuplicateInBatch: an event whose message the stream already holds
// within its duplicate window (the relay or a replay sent it) is a
// duplicate, and is not stored again.
func TestDuplicateInBatch(t *testing.T) {
	js, _ := mustStream(t)
	ctx := context.Background()
	d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: "webhooks.p.t", Header: nats.Header{jetstream.MsgIDHeader: {"p:evt_1"}}}); err != nil {
		t.Fatal(err)
	}
	ev := &webhook.Event{Provider: "p", ID: "evt_1", Key: "p:evt_1", TTL: time.Hour,
		Message: forward.Message{ID: "p:evt_1", Subject: "webhooks.p.t", Header: nats.Header{}, Body: []byte("{}")}}
	got, err := d.Decide(ctx, ev)
	if err != nil || got != webhook.Duplicate {
		t.Fatalf("Decide = %v, %v; want duplicate", got, err)
	}
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	if ids := msgIDs(t, st); len(ids) != 1 {
		t.Fatalf("stream holds %q; want the one message", ids)
	}
}

// TestVersionMessage: a version message's body is the version in decimal,
// as gateways before versions had kinds wrote and read it, and its kind is
// in a header beside it; one without the header (an older gateway's)
// holds a version of any kind.
func TestVersionMessage(t *testing.T) {
	_, d, st := mustDecider(t)
	ctx := context.Background()
	last := func() *jetstream.RawStreamMsg {
		t.Helper()
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(jsstore.VersionPrefix+".>"))
		if err != nil || len(info.State.Subjects) != 1 {
			t.Fatalf("version subjects %v, %v; want one", info.State.Subjects, err)
		}
		for subj := range info.State.Subjects {
			m, err := st.GetLastMsgForSubject(ctx, subj)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		return nil
	}
	for _, c := range []struct {
		kind       ordering.Kind
		version    int64
		data, head string
	}{
		{ordering.Time, 1709294400_000000, "1709294400000000", "time"},
		{ordering.Number, 7, "7", "number"},
		{ordering.AnyKind, 8, "8", ""},
	} {
		ev := decidertest.Event("v"+c.data, "x", c.version)
		ev.VersionKind = c.kind
		if got, err := d.Decide(ctx, ev); err != nil || got != webhook.Accepted {
			t.Fatalf("Decide(%d, %s) = %v, %v; want accepted", c.version, c.kind, got, err)
		}
		m := last()
		if string(m.Data) != c.data || m.Header.Get(jsstore.VersionKindHeader) != c.head {
			t.Errorf("version %d, %s: message holds %q with %s %q; want %q with %q",
				c.version, c.kind, m.Data, jsstore.VersionKindHeader, m.Header.Get(jsstore.VersionKindHeader), c.data, c.head)
		}
	}
}

// TestAtomicBatchLimit: on a stream that allows one open batch at a time,
// concurrent decisions wait for their turn rather than fail: every event
// is accepted and on the stream once.
func TestAtomicBatchLimit(t *testing.T) {
	js, _ := mustStreamOn(t, forward.ServerConfig{MaxAtomicBatches: 1})
	ctx := context.Background()
	d, err := jsstore.New(ctx, js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The turns of 64 decisions through one open batch take a while on a
	// loaded machine under -race; what is tested is that none fails.
	d.Timeout = time.Minute
	const n = 64
	errs := make(chan error, n)
	for i := range n {
		go func() {
			id := fmt.Sprintf("evt_%d", i)
			ev := &webhook.Event{Provider: "p", ID: id, Key: "p:" + id, TTL: time.Hour,
				Ordered: true, Entity: fmt.Sprintf("p:ent_%d", i%8), Version: int64(i),
				Message: forward.Message{ID: "p:" + id, Subject: "webhooks.p.t", Header: nats.Header{}, Body: []byte("{}")}}
			got, err := d.Decide(ctx, ev)
			if err == nil && got == webhook.Duplicate {
				err = fmt.Errorf("%s: duplicate", id)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	ids := msgIDs(t, st)
	slices.Sort(ids)
	if len(slices.Compact(ids)) != len(ids) {
		t.Errorf("an event is on the stream twice: %q", ids)
	}
	t.Logf("%d of %d events forwarded (the others stale)", len(ids), n)
}

// decideClaims decides n events from 16 concurrent senders and purges
// the events' own messages, so that only their claims stay; it returns
// the stream.
func decideClaims(tb testing.TB, js jetstream.JetStream, d *jsstore.Decider, n int) jetstream.Stream {
	tb.Helper()
	ctx := context.Background()
	next := make(chan int)
	errs := make(chan error, 16)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := range next {
				id := fmt.Sprintf("evt_%024d", i) // the length of a Stripe event ID
				ev := &webhook.Event{Provider: "stripe", ID: id, Key: "stripe:" + id, TTL: 168 * time.Hour,
					Message: forward.Message{ID: "stripe:" + id, Subject: "webhooks.stripe.t", Header: nats.Header{}}}
				if got, err := d.Decide(ctx, ev); err != nil || got != webhook.Accepted {
					errs <- fmt.Errorf("Decide = %v, %v", got, err)
					return
				}
			}
		})
	}
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case err := <-errs:
				errs <- err
				return
			}
		}
	}()
	wg.Wait()
	select {
	case err := <-errs:
		tb.Fatal(err)
	default:
	}
	st, err := js.Stream(ctx, forward.DefaultStreamName)
	if err != nil {
		tb.Fatal(err)
	}
	if err := st.Purge(ctx, jetstream.WithPurgeSubject("webhooks.>")); err != nil {
		tb.Fatal(err)
	}
	return st
}

// streamBytes is what the stream's file store counts for its messages.
func streamBytes(tb testing.TB, st jetstream.Stream, wantMsgs int) uint64 {
	tb.Helper()
	info, err := st.Info(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	if int(info.State.Msgs) != wantMsgs {
		tb.Fatalf("%d messages in the stream; want %d", info.State.Msgs, wantMsgs)
	}
	return info.State.Bytes
}

// TestClaimCost checks the README's figure for the storage a live claim
// takes in the stream, per replica: about 210 bytes for a Stripe event ID
// with a 7-day TTL.
func TestClaimCost(t *testing.T) {
	js, _ := mustStream(t)
	d, err := jsstore.New(context.Background(), js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	per := float64(streamBytes(t, decideClaims(t, js, d, n), n)) / n
	t.Logf("%.0f bytes per claim", per)
	if per < 180 || per > 240 {
		t.Errorf("a claim takes %.0f bytes in the stream; the README says about 210", per)
	}
}

// BenchmarkClaimCost decides b.N events from 16 senders on an embedded
// server and reports what their claims cost once the events are gone:
// bytes in the stream's files, and bytes of the process's live heap (the
// embedded server's index of the claims' subjects and their TTLs), read
// after 15 s idle, once the file store has dropped its block cache. Run it
// with a fixed count:
//
//	go test -run '^$' -bench ClaimCost -benchtime 20000x ./jsstore
func BenchmarkClaimCost(b *testing.B) {
	js, _ := mustStreamOn(b, forward.ServerConfig{})
	d, err := jsstore.New(context.Background(), js, forward.DefaultStreamName, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	st := decideClaims(b, js, d, b.N)
	b.StopTimer()
	time.Sleep(15 * time.Second)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(streamBytes(b, st, b.N))/float64(b.N), "disk-B/claim")
	b.ReportMetric((float64(after.HeapAlloc)-float64(before.HeapAlloc))/float64(b.N), "heap-B/claim")
}

// TestRefusalBeforeLast: the stream refuses a message of the batch before
// its last (a route's copy, which comes before the event's own message):
// the decision fails at once with the stream's own refusal, not with the
// incomplete batch that the commit then gets (tried again until the
// decision's timeout, as a lost message would be), and nothing of the
// batch is stored, so the event decided again without that copy is
// accepted. A message on a subject the stream does not take, the last
// one too, is a refusal naming the subject, not an unavailable stream.
func TestRefusalBeforeLast(t *testing.T) {
	js, d, st := mustDecider(t)
	ctx := context.Background()
	cfg := st.CachedInfo().Config
	cfg.MaxMsgSize = 512
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	// The old behaviour took all of it; a refusal takes milliseconds.
	d.Timeout = 10 * time.Second
	copyOn := func(subject string, size int) forward.Message {
		return forward.Message{ID: "p@r:copy", Subject: subject, Header: nats.Header{}, Body: []byte(strings.Repeat("x", size))}
	}
	for i, c := range []struct {
		name    string
		copy    forward.Message // none: the event's own message is refused
		subject string          // the event's, when set
		is      func(error) bool
	}{
		{name: "a copy over max_msg_size", copy: copyOn("webhooks.p.copy", 600), is: func(err error) bool {
			var api *jetstream.APIError
			return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
		}},
		{name: "a copy on a subject the stream does not take", copy: copyOn("elsewhere.p.copy", 10), is: func(err error) bool {
			return strings.Contains(err.Error(), "elsewhere.p.copy") && errors.Is(err, nats.ErrNoResponders)
		}},
		// The last message: the stream's answer is its own, but no
		// stream's is no responders, taken for an election before.
		{name: "the event on a subject the stream does not take", subject: "elsewhere.p.t", is: func(err error) bool {
			return strings.Contains(err.Error(), "elsewhere.p.t") && errors.Is(err, nats.ErrNoResponders)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := fmt.Sprintf("evt_%d", i)
			ev := decidertest.Event(id, "ent_"+id, 1)
			subject := ev.Message.Subject
			if c.copy.ID != "" {
				ev.Copies = []forward.Message{c.copy}
			}
			if c.subject != "" {
				ev.Message.Subject = c.subject
			}
			start := time.Now()
			got, err := d.Decide(ctx, ev)
			took := time.Since(start)
			if !errors.Is(err, jsstore.ErrRefused) || !c.is(err) {
				t.Fatalf("Decide = %v, %v after %v; want the stream's refusal (jsstore.ErrRefused)", got, err, took)
			}
			var api *jetstream.APIError
			if errors.As(err, &api) && api.ErrorCode == 10176 {
				t.Errorf("Decide = %v; want the refusal, not the incomplete batch", err)
			}
			if took > d.Timeout/2 {
				t.Errorf("Decide took %v: it tried again as if the refusal could pass", took)
			}
			t.Logf("Decide = %v after %v", err, took)
			if ids, n := msgIDs(t, st), internal(t, st); len(ids) != 0 || n != 0 {
				t.Fatalf("stream holds events %q and %d claims or versions; want nothing of the refused batch", ids, n)
			}
			ev.Copies, ev.Message.Subject = nil, subject
			if got, err := d.Decide(ctx, ev); err != nil || got != webhook.Accepted {
				t.Fatalf("Decide without the refused message = %v, %v; want accepted (nothing was recorded)", got, err)
			}
			if err := st.Purge(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}
