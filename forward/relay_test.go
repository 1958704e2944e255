package forward_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
)

// scriptedPublisher acknowledges every message, except that call i acks
// only failAt[i] messages and then fails (a negative entry means no
// failure). It records the IDs of every call.
type scriptedPublisher struct {
	failAt []int

	mu    sync.Mutex
	calls [][]string
}

var errInjected = errors.New("injected failure")

func (p *scriptedPublisher) Publish(_ context.Context, msgs []forward.Message, _ int) (forward.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	call := len(p.calls)
	p.calls = append(p.calls, ids)
	if call < len(p.failAt) && p.failAt[call] >= 0 && p.failAt[call] < len(msgs) {
		return forward.Result{Acked: p.failAt[call]}, errInjected
	}
	return forward.Result{Acked: len(msgs)}, nil
}

func ids(from, to int) []string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, testMessage(i).ID)
	}
	return s
}

func TestRelayAckedPrefix(t *testing.T) {
	tests := []struct {
		name      string
		batch     int
		failAt    []int
		wantCalls [][]string
	}{
		{"no failure", 10, nil, [][]string{ids(0, 5)}},
		{"fail mid batch", 10, []int{3}, [][]string{ids(0, 5), ids(3, 5)}},
		{"fail on first", 10, []int{0}, [][]string{ids(0, 5), ids(0, 5)}},
		{"fail twice", 10, []int{2, 1}, [][]string{ids(0, 5), ids(2, 5), ids(3, 5)}},
		{"small batches", 2, []int{-1, 1}, [][]string{ids(0, 2), ids(2, 4), ids(3, 5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := queued(t, 5)
			p := &scriptedPublisher{failAt: tt.failAt}
			r := &forward.Relay{DB: db, Publish: p, Batch: tt.batch, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}
			defer r.Close()
			if err := r.Flush(t.Context()); err != nil {
				t.Fatalf("Flush = %v", err)
			}
			if !slices.EqualFunc(p.calls, tt.wantCalls, slices.Equal) {
				t.Errorf("publish calls = %v; want %v", p.calls, tt.wantCalls)
			}
			if s := depth(t, db); s.Rows != 0 {
				t.Errorf("outbox has %d rows after Flush; want 0", s.Rows)
			}
			st := r.Stats()
			wantFailures := 0
			for _, f := range tt.failAt {
				if f >= 0 {
					wantFailures++
				}
			}
			if st.Failures != uint64(wantFailures) || st.Published != 5 {
				t.Errorf("Stats = %+v; want 5 published, %d failures", st, wantFailures)
			}
		})
	}
}

// blockingPublisher acks the first message of a call, then blocks until ctx
// ends.
type blockingPublisher struct {
	entered chan struct{}
}

func (p *blockingPublisher) Publish(ctx context.Context, msgs []forward.Message, _ int) (forward.Result, error) {
	select {
	case p.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return forward.Result{Acked: 1}, ctx.Err()
}

func TestRelayClose(t *testing.T) {
	db, _ := queued(t, 3)
	p := &blockingPublisher{entered: make(chan struct{}, 1)}
	r := &forward.Relay{DB: db, Publish: p, PollInterval: time.Hour}
	r.Start()
	r.Notify()
	select {
	case <-p.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("relay did not publish")
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	// The acknowledged row is deleted even though the round was canceled;
	// the others stay for the next start.
	if s := depth(t, db); s.Rows != 2 {
		t.Errorf("outbox has %d rows after Close; want 2", s.Rows)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := r.Flush(t.Context()); !errors.Is(err, forward.ErrClosed) {
		t.Errorf("Flush after Close = %v; want ErrClosed", err)
	}
}

func TestRelayFlushDeadline(t *testing.T) {
	db, _ := queued(t, 2)
	p := &scriptedPublisher{failAt: slices.Repeat([]int{0}, 1000)}
	r := &forward.Relay{DB: db, Publish: p, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err := r.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush = %v; want DeadlineExceeded", err)
	}
	if want := errInjected.Error(); !strings.Contains(err.Error(), want) {
		t.Errorf("Flush = %v; want it to name the last failure %q", err, want)
	}
	if s := depth(t, db); s.Rows != 2 {
		t.Errorf("outbox has %d rows; want 2", s.Rows)
	}
}

// meddlingPublisher acknowledges everything in its first call, during
// which it deletes the first rows of the batch and counts them out (as a
// replay canceled then does) and enqueues more rows behind the batch; it
// fails every later call.
type meddlingPublisher struct {
	db      *sql.DB
	counter *forward.Counter
	tb      testing.TB
	done    bool
}

func (p *meddlingPublisher) Publish(_ context.Context, msgs []forward.Message, _ int) (forward.Result, error) {
	if p.done {
		return forward.Result{}, errInjected
	}
	{
		p.done = true
		if _, err := p.db.Exec(`DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT 2)`); err != nil {
			p.tb.Error(err)
		}
		p.counter.Remove(2, int64(len(msgs[0].Body)+len(msgs[1].Body)))
		more := messages(100, 103)
		enqueue(p.tb, p.db, more...)
		for _, m := range more {
			p.counter.Add(1, int64(len(m.Body)))
		}
	}
	return forward.Result{Acked: len(msgs), Sent: len(msgs)}, nil
}

// TestRelayCountsWhatItDeleted: rows of a round that left the outbox
// meanwhile (a replay canceled) are not counted out twice: the counter
// ends with what the table holds, though rows added meanwhile keep it
// above zero.
func TestRelayCountsWhatItDeleted(t *testing.T) {
	db, _ := queued(t, 10)
	var c forward.Counter
	if err := c.Resync(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	r := &forward.Relay{DB: db, Publish: &meddlingPublisher{db: db, counter: &c, tb: t}, Counter: &c,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	defer r.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), errInjected.Error()) {
		t.Fatalf("Flush = %v; want the deadline, after the later rounds' failure", err)
	}
	want := depth(t, db)
	if want.Rows != 3 {
		t.Fatalf("outbox has %d rows; want the 3 added during the first round", want.Rows)
	}
	if rows, bytes := c.Load(); rows != want.Rows || bytes != want.Bytes {
		t.Errorf("counter = %d rows, %d bytes; want the table's %d rows, %d bytes", rows, bytes, want.Rows, want.Bytes)
	}
}
