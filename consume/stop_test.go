package consume_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/consume/sqlitestore"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestStopWaits: Stop naks at once the messages held whose key has no
// handler running, so that another instance gets them while the running
// handler goes on; it keeps the later messages of that handler's key until
// the handler has returned (naked before it, they would be delivered
// again before it, out of order); and it returns once that handler has
// returned and its message is acknowledged, or naked ahead of its key.
func TestStopWaits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		result error
		want   []string // what the second instance handles, in order
	}{
		{"handler succeeds", nil, []string{"evt_4", "evt_2", "evt_3"}},
		{"handler fails", errors.New("database down"), []string{"evt_4", "evt_1", "evt_2", "evt_3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := MustNATS(t)
			_, js := MustJS(t, ns)
			MustStreams(t, js)
			seqs := MustPublish(t, js,
				msg{id: "evt_1", key: "cus_1", version: "1"}.natsMsg(),
				msg{id: "evt_2", key: "cus_1", version: "2"}.natsMsg(),
				msg{id: "evt_3", key: "cus_1", version: "3"}.natsMsg(),
				msg{id: "evt_4", key: "cus_2", version: "1"}.natsMsg(),
			)
			started, release := make(chan struct{}), make(chan struct{})
			returned := make(chan struct{})
			// AckWait is long: only a nak brings a message to the second
			// instance within the test. Concurrency 1: evt_4 waits.
			opts := consume.Options{Durable: "svc", AckWait: 5 * time.Minute}
			first := MustSubscribe(t, js, opts, func(_ context.Context, ev *consume.Event) error {
				if ev.ID != "evt_1" {
					return fmt.Errorf("first instance got %s", ev.ID)
				}
				close(started)
				<-release
				close(returned)
				return tc.result
			}, nil)
			<-started
			testkit.WaitFor(t, within, testkit.Says("the first instance does not hold all four messages"), func() bool {
				info := consumerInfo(t, js, "WEBHOOKS", "svc")
				return info.NumAckPending == 4 && info.NumPending == 0
			})
			stopped := make(chan error, 1)
			go func() { stopped <- first.Stop(context.Background()) }()

			_, js2 := MustJS(t, ns)
			var second recorder
			MustSubscribe(t, js2, opts, func(_ context.Context, ev *consume.Event) error {
				second.add(ev)
				return nil
			}, nil)
			// evt_4 is naked after evt_2 and evt_3 would have been (stream
			// order): once the second instance has it, they would have come
			// first.
			testkit.WaitFor(t, within, func() string { return fmt.Sprintf("second instance got %s; want evt_4", ids(second.all())) },
				func() bool { return second.len() > 0 })
			if got := ids(second.all()); got[0] != "evt_4" {
				t.Errorf("while evt_1 ran, the second instance got %v; want evt_4 only", got)
			}
			select {
			case err := <-stopped:
				t.Fatalf("Stop returned (%v) while a handler ran", err)
			default:
			}
			close(release)
			select {
			case err := <-stopped:
				if err != nil {
					t.Fatalf("Stop = %v", err)
				}
			case <-time.After(within):
				t.Fatal("Stop did not return")
			}
			select {
			case <-returned:
			default:
				t.Error("Stop returned before the handler")
			}
			select {
			case <-first.Done():
			default:
				t.Error("Done not closed after Stop returned")
			}
			WaitSettled(t, js, "WEBHOOKS", "svc", seqs[3])
			if got := ids(second.all()); !slices.Equal(got, tc.want) {
				t.Errorf("second instance got %v; want %v", got, tc.want)
			}
		})
	}
}

func ids(evs []*consume.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// TestStopDeadline: when Stop's context ends first, the handlers' context
// is cancelled, Stop returns the context's error, and Done is closed once
// the handler has returned; its message is naked, for the next instance,
// even at its last attempt (MaxDeliver 1): a call cut by the stop is not
// a failure to dead-letter.
func TestStopDeadline(t *testing.T) {
	ns := MustNATS(t)
	_, js := MustJS(t, ns)
	MustStreams(t, js)
	seq := MustPublish(t, js, msg{id: "evt_1"}.natsMsg())[0]
	started, release := make(chan struct{}), make(chan struct{})
	var cancelled error
	opts := consume.Options{Durable: "svc", AckWait: 5 * time.Minute, MaxDeliver: 1}
	sub := MustSubscribe(t, js, opts, func(ctx context.Context, ev *consume.Event) error {
		close(started)
		<-ctx.Done()
		cancelled = ctx.Err()
		<-release // a handler slow to return
		return ctx.Err()
	}, nil)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := sub.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stop = %v; want context.DeadlineExceeded", err)
	}
	select {
	case <-sub.Done():
		t.Fatal("Done closed while a handler runs")
	default:
	}
	close(release)
	select {
	case <-sub.Done():
	case <-time.After(within):
		t.Fatal("Done not closed after the handler returned")
	}
	if !errors.Is(cancelled, context.Canceled) {
		t.Errorf("handler's context error = %v; want context.Canceled", cancelled)
	}
	var again recorder
	MustSubscribe(t, js, opts, func(_ context.Context, ev *consume.Event) error {
		again.add(ev)
		return nil
	}, nil)
	WaitSettled(t, js, "WEBHOOKS", "svc", seq)
	if evs := again.all(); len(evs) != 1 || evs[0].Attempt != 2 {
		for _, ev := range evs {
			t.Logf("got %s at attempt %d", ev.ID, ev.Attempt)
		}
		t.Errorf("next instance got %d events; want evt_1 at attempt 2", len(evs))
	}
}

// TestCrash: a consumer whose connection dies while a handler runs leaves
// its message unacknowledged; the next instance gets it after AckWait.
// With Once, a message handled whose acknowledgement was lost is not
// handled again.
func TestCrash(t *testing.T) {
	memory := consume.NewMemoryStore(0, 0)
	dbPath := filepath.Join(t.TempDir(), "processed.db")
	cases := []struct {
		name string
		// handler wraps the handler body h in the idempotency helper; nil:
		// none. It is called once per instance.
		handler func(t *testing.T, h func(ev *consume.Event) error) consume.Handler
		// handled: whether a call that returned nil before the crash
		// counts, so that the next instance must not call again.
		once bool
	}{
		{"no helper", func(t *testing.T, h func(*consume.Event) error) consume.Handler {
			return func(_ context.Context, ev *consume.Event) error { return h(ev) }
		}, false},
		{"memory store", func(t *testing.T, h func(*consume.Event) error) consume.Handler {
			return consume.Once(memory, func(_ context.Context, ev *consume.Event) error { return h(ev) })
		}, true},
		{"sqlite store", func(t *testing.T, h func(*consume.Event) error) consume.Handler {
			st, err := sqlitestore.Open(context.Background(), dbPath)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			if _, err := st.DB().Exec(`CREATE TABLE IF NOT EXISTS charges (event TEXT)`); err != nil {
				t.Fatal(err)
			}
			return st.Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO charges (event) VALUES (?)`, ev.ID); err != nil {
					return err
				}
				return h(ev)
			})
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			testCrash(t, tc.handler, tc.once)
		})
	}
	t.Run("sqlite store effects", func(t *testing.T) {
		st, err := sqlitestore.Open(context.Background(), dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM charges`).Scan(&n); err != nil || n != 1 {
			t.Errorf("charges: %d rows (%v); want 1", n, err)
		}
	})
}

func testCrash(t *testing.T, wrap func(*testing.T, func(*consume.Event) error) consume.Handler, once bool) {
	ns := MustNATS(t)
	nc1, js1 := MustJS(t, ns)
	MustStreams(t, js1)
	seq := MustPublish(t, js1, msg{id: "evt_1"}.natsMsg())[0]
	opts := consume.Options{Durable: "svc", AckWait: time.Second}

	started, crashed := make(chan struct{}), make(chan struct{})
	var calls recorder
	sub1 := MustSubscribe(t, js1, opts, wrap(t, func(ev *consume.Event) error {
		calls.add(ev)
		close(started)
		<-crashed
		return nil // handled; the ack cannot go out
	}), nil)
	<-started
	nc1.Close()
	close(crashed)
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	if err := sub1.Stop(ctx); err != nil {
		t.Fatalf("Stop after the connection closed = %v", err)
	}

	_, js2 := MustJS(t, ns)
	var attempts recorder
	inner := wrap(t, func(ev *consume.Event) error {
		calls.add(ev)
		return nil
	})
	MustSubscribe(t, js2, opts, func(ctx context.Context, ev *consume.Event) error {
		attempts.add(ev)
		return inner(ctx, ev)
	}, nil)
	WaitSettled(t, js2, "WEBHOOKS", "svc", seq)
	if evs := attempts.all(); len(evs) != 1 || evs[0].Attempt != 2 || evs[0].ID != "evt_1" {
		t.Errorf("the second instance got %d deliveries; want evt_1 again, at attempt 2", len(evs))
	}
	want := 2
	if once {
		want = 1
	}
	if calls.len() != want {
		t.Errorf("handler body ran %d times; want %d", calls.len(), want)
	}
}
