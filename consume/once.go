package consume

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"
)

// Store remembers the keys ([Event.Key]) of the events that were
// processed, for [Once]. Implementations must be safe for concurrent use.
// [MemoryStore] is one; package consume/sqlitestore has one in a SQLite
// file, whose handlers commit their own writes with the mark.
type Store interface {
	// Seen reports whether key was marked processed.
	Seen(ctx context.Context, key string) (bool, error)
	// Mark records key as processed.
	Mark(ctx context.Context, key string) error
}

var _ Store = (*MemoryStore)(nil)

// Once returns a handler that calls h at most once per event key: it
// returns nil at once (acknowledging the message) for an event whose key
// store has seen, and marks the key after h succeeds. This covers the
// message that JetStream delivers again although it was handled (its
// acknowledgement was lost, the consumer crashed before it), and an admin
// replay of an event already handled (Key leaves the replay out). An event
// without a key is always handed to h.
//
// The mark is written after h returns, so h runs again if the process
// stops between the two, or if Mark fails (the message is then retried):
// at least once, not exactly once. For exactly-once effects, h's writes and
// the mark must commit together: see consume/sqlitestore's Handler.
//
// Within one process, Once runs one call per key at a time (an original
// and its replay arriving together wait for each other).
func Once(store Store, h Handler) Handler { return once(store, h, &keyLocks{}) }

func once(store Store, h Handler, locks *keyLocks) Handler {
	return func(ctx context.Context, ev *Event) error {
		key := ev.Key()
		if key == "" {
			return h(ctx, ev)
		}
		unlock, err := locks.lock(ctx, key)
		if err != nil {
			return err
		}
		defer unlock()
		seen, err := store.Seen(ctx, key)
		if err != nil {
			return fmt.Errorf("consume: was %s processed: %w", key, err)
		}
		if seen {
			return nil
		}
		if err := h(ctx, ev); err != nil {
			return err
		}
		if err := store.Mark(ctx, key); err != nil {
			return fmt.Errorf("consume: mark %s processed: %w", key, err)
		}
		return nil
	}
}

// keyLocks is a mutex per key, held for as long as some call wants it.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // holds one token while locked
	refs int
}

// lock waits for key's lock (or ctx) and returns its unlock.
func (l *keyLocks) lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*keyLock{}
	}
	k := l.locks[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.locks[key] = k
	}
	k.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if k.refs--; k.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// waiting returns how many calls hold or wait for key's lock.
func (l *keyLocks) waiting(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if k := l.locks[key]; k != nil {
		return k.refs
	}
	return 0
}

// Defaults of NewMemoryStore.
const (
	DefaultMemoryKeys   = 100_000
	DefaultMemoryMaxAge = 24 * time.Hour
)

// MemoryStore is a Store in memory, bounded: it keeps at most a number of
// keys, each for at most an age. Past the bound the oldest marks are
// forgotten, and an event delivered again after its mark was forgotten is
// handled again. It forgets everything when the process ends: it covers
// deliveries again while the process lives (a lost acknowledgement, a
// replay), not a crash. It is safe for concurrent use.
type MemoryStore struct {
	max    int
	maxAge time.Duration
	// Now is the clock (default time.Now); set it before first use.
	Now func() time.Time

	mu    sync.Mutex
	keys  map[string]*list.Element
	order *list.List // of memoryMark, oldest first
}

type memoryMark struct {
	key string
	at  time.Time
}

// NewMemoryStore returns a MemoryStore keeping at most maxKeys keys
// (DefaultMemoryKeys if maxKeys <= 0), each for maxAge (DefaultMemoryMaxAge
// if maxAge <= 0).
func NewMemoryStore(maxKeys int, maxAge time.Duration) *MemoryStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMemoryKeys
	}
	if maxAge <= 0 {
		maxAge = DefaultMemoryMaxAge
	}
	return &MemoryStore{max: maxKeys, maxAge: maxAge, keys: map[string]*list.Element{}, order: list.New()}
}

func (m *MemoryStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Seen reports whether key was marked within the bounds. It never fails.
func (m *MemoryStore) Seen(_ context.Context, key string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	_, ok := m.keys[key]
	return ok, nil
}

// Mark records key (again: its age starts over), forgetting the oldest keys
// past the bound. It never fails.
func (m *MemoryStore) Mark(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.keys[key]; ok {
		m.order.Remove(e)
	}
	m.keys[key] = m.order.PushBack(memoryMark{key: key, at: now})
	m.expire(now)
	return nil
}

// Len returns the number of keys held.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expire(m.now())
	return len(m.keys)
}

// expire forgets the marks past the bounds.
func (m *MemoryStore) expire(now time.Time) {
	for e := m.order.Front(); e != nil; e = m.order.Front() {
		mk := e.Value.(memoryMark)
		if len(m.keys) <= m.max && now.Sub(mk.at) < m.maxAge {
			return
		}
		m.order.Remove(e)
		delete(m.keys, mk.key)
	}
}
