package forward_test

import (
	"context"
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
