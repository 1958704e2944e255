package consume

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

func TestMemoryStoreBounds(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_700_000_000, 0)
	m := NewMemoryStore(3, time.Hour)
	m.Now = func() time.Time { return now }
	for i := range 4 {
		m.Mark(ctx, fmt.Sprint("k", i))
		now = now.Add(time.Minute)
	}
	cases := []struct {
		name  string
		after time.Duration
		key   string
		want  bool
	}{
		{"oldest forgotten past the count", 0, "k0", false},
		{"kept", 0, "k1", true},
		{"newest", 0, "k3", true},
		{"k1 past its age", 57 * time.Minute, "k1", false},
		{"k3 within its age", 0, "k3", true},
		{"all past their age", time.Hour, "k3", false},
	}
	for _, tc := range cases {
		now = now.Add(tc.after)
		if got, err := m.Seen(ctx, tc.key); got != tc.want || err != nil {
			t.Errorf("%s: Seen(%s) = %v, %v; want %v", tc.name, tc.key, got, err, tc.want)
		}
	}
	if n := m.Len(); n != 0 {
		t.Errorf("Len = %d; want 0", n)
	}
}

// failingStore fails Mark and Seen on demand.
type failingStore struct {
	*MemoryStore
	failSeen, failMark bool
}

var errStore = errors.New("store down")

func (f *failingStore) Seen(ctx context.Context, key string) (bool, error) {
	if f.failSeen {
		return false, errStore
	}
	return f.MemoryStore.Seen(ctx, key)
}

func (f *failingStore) Mark(ctx context.Context, key string) error {
	if f.failMark {
		return errStore
	}
	return f.MemoryStore.Mark(ctx, key)
}

func TestOnce(t *testing.T) {
	ctx := context.Background()
	store := &failingStore{MemoryStore: NewMemoryStore(0, 0)}
	var calls []string
	fail := errors.New("handler failed")
	var failNext bool
	h := Once(store, func(_ context.Context, ev *Event) error {
		calls = append(calls, ev.MsgID)
		if failNext {
			return fail
		}
		return nil
	})
	ev := func(msgID, replay string) *Event { return &Event{MsgID: msgID, Replay: replay} }
	steps := []struct {
		name                         string
		ev                           *Event
		failHandler, failSeen, fMark bool
		wantErr                      error
		wantCall                     bool
	}{
		{"first", ev("s:1", ""), false, false, false, nil, true},
		{"delivered again", ev("s:1", ""), false, false, false, nil, false},
		{"replayed", ev("s:1:replay:r", "r"), false, false, false, nil, false},
		{"route copy is another event", ev("s@vip:1", ""), false, false, false, nil, true},
		{"handler fails: not marked", ev("s:2", ""), true, false, false, fail, true},
		{"so it runs again", ev("s:2", ""), false, false, false, nil, true},
		{"store cannot tell", ev("s:3", ""), false, true, false, errStore, false},
		{"mark fails", ev("s:3", ""), false, false, true, errStore, true},
		{"so it runs again (at least once)", ev("s:3", ""), false, false, false, nil, true},
		{"no key", ev("", ""), false, false, false, nil, true},
		{"no key again", ev("", ""), false, false, false, nil, true},
	}
	for _, s := range steps {
		failNext, store.failSeen, store.failMark = s.failHandler, s.failSeen, s.fMark
		before := len(calls)
		err := h(ctx, s.ev)
		if !errors.Is(err, s.wantErr) || (s.wantErr == nil) != (err == nil) {
			t.Errorf("%s: error %v; want %v", s.name, err, s.wantErr)
		}
		if called := len(calls) > before; called != s.wantCall {
			t.Errorf("%s: handler called %v; want %v", s.name, called, s.wantCall)
		}
	}
}

// TestOnceSameKeyAtOnce: two deliveries of one key at the same moment run
// the handler once.
func TestOnceSameKeyAtOnce(t *testing.T) {
	var calls atomic.Int32
	entered := make(chan struct{})
	release := make(chan struct{})
	var locks keyLocks
	h := once(NewMemoryStore(0, 0), func(context.Context, *Event) error {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
		return nil
	}, &locks)
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Add(2)
	go func() { defer wg.Done(); errs <- h(context.Background(), &Event{MsgID: "s:1"}) }()
	<-entered
	go func() { defer wg.Done(); errs <- h(context.Background(), &Event{MsgID: "s:1:replay:r", Replay: "r"}) }()
	// The replay waits for the original.
	testkit.WaitFor(t, 30*time.Second, testkit.Says("the second call does not wait for the key"), func() bool { return locks.waiting("s:1") == 2 })
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler ran %d times; want 1", n)
	}
	// A caller that gives up waiting gets its context's error.
	var l keyLocks
	unlock, err := l.lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.lock(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("lock while held, context cancelled = %v; want context.Canceled", err)
	}
	unlock()
	if len(l.locks) != 0 {
		t.Errorf("%d locks left; want none", len(l.locks))
	}
}
