package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/consume/sqlitestore"
)

// MustOpen opens a Store in a file of dir (closed with the test), with an
// application table beside it.
func MustOpen(tb testing.TB, path string) *sqlitestore.Store {
	tb.Helper()
	s, err := sqlitestore.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	if _, err := s.DB().Exec(`CREATE TABLE IF NOT EXISTS charges (event TEXT, amount INTEGER)`); err != nil {
		tb.Fatal(err)
	}
	return s
}

func count(tb testing.TB, db *sql.DB) int {
	tb.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM charges`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestHandler: the handler's writes commit with the mark, or not at all;
// an event marked is not handled again, even through a new Store on the
// same file (a restarted process).
func TestHandler(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "app.db")
	s := MustOpen(t, path)
	failure := errors.New("payment service down")
	var fail error
	calls := 0
	h := s.Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
		calls++
		if _, err := tx.ExecContext(ctx, `INSERT INTO charges VALUES (?, 100)`, ev.ID); err != nil {
			return err
		}
		return fail // after the write: it must not be kept
	})
	ev := &consume.Event{MsgID: "stripe:evt_1", ID: "evt_1"}
	steps := []struct {
		name      string
		h         consume.Handler
		ev        *consume.Event
		fail      error
		wantErr   error
		wantCalls int
		wantRows  int
	}{
		{"fails", h, ev, failure, failure, 1, 0},
		{"fails for good", h, ev, consume.Permanent(failure), failure, 2, 0},
		{"handled", h, ev, nil, nil, 3, 1},
		{"delivered again", h, ev, nil, nil, 3, 1},
		{"replayed", h, &consume.Event{MsgID: "stripe:evt_1:replay:r1", Replay: "r1", ID: "evt_1"}, nil, nil, 3, 1},
		{"after a restart", MustOpen(t, path).Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
			calls++
			return nil
		}), ev, nil, nil, 3, 1},
		{"another event", h, &consume.Event{MsgID: "stripe:evt_2", ID: "evt_2"}, nil, nil, 4, 2},
		{"no key: no mark", h, &consume.Event{ID: "evt_3"}, nil, nil, 5, 3},
		{"no key again", h, &consume.Event{ID: "evt_3"}, nil, nil, 6, 4},
	}
	for _, st := range steps {
		fail = st.fail
		err := st.h(ctx, st.ev)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
			t.Errorf("%s: error %v; want %v", st.name, err, st.wantErr)
		}
		if st.fail != nil && errors.As(st.fail, new(*consume.PermanentError)) && !errors.As(err, new(*consume.PermanentError)) {
			t.Errorf("%s: error %v is no longer permanent", st.name, err)
		}
		if calls != st.wantCalls || count(t, s.DB()) != st.wantRows {
			t.Errorf("%s: %d calls, %d rows; want %d, %d", st.name, calls, count(t, s.DB()), st.wantCalls, st.wantRows)
		}
	}
}

// TestHandlerConcurrent: deliveries of one event at the same time, from
// two Stores on one file (two processes), write once.
func TestHandlerConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.db")
	stores := []*sqlitestore.Store{MustOpen(t, path), MustOpen(t, path)}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		h := stores[i%2].Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO charges VALUES (?, 1)`, ev.ID)
			return err
		})
		wg.Go(func() { errs <- h(context.Background(), &consume.Event{MsgID: "p:evt", ID: "evt"}) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("handler: %v", err)
		}
	}
	if n := count(t, stores[0].DB()); n != 1 {
		t.Errorf("%d rows; want 1", n)
	}
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "processed.db")
	s := MustOpen(t, path)
	now := time.Unix(1_700_000_000, 0)
	s.Now = func() time.Time { return now }
	if seen, err := s.Seen(ctx, "k1"); seen || err != nil {
		t.Fatalf("Seen before Mark = %v, %v; want false", seen, err)
	}
	for _, k := range []string{"k1", "k1", "k2"} {
		if err := s.Mark(ctx, k); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Hour)
	}
	if seen, err := MustOpen(t, path).Seen(ctx, "k1"); !seen || err != nil {
		t.Errorf("Seen(k1) in the file reopened = %v, %v; want true", seen, err)
	}
	n, err := s.Sweep(ctx, time.Unix(1_700_000_000, 0).Add(90*time.Minute))
	if err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want 1 (k1, marked first)", n, err)
	}
	for k, want := range map[string]bool{"k1": false, "k2": true} {
		if seen, err := s.Seen(ctx, k); seen != want || err != nil {
			t.Errorf("Seen(%s) after Sweep = %v, %v; want %v", k, seen, err, want)
		}
	}
	// Once with this Store.
	calls := 0
	h := consume.Once(s, func(context.Context, *consume.Event) error { calls++; return nil })
	for range 2 {
		if err := h(ctx, &consume.Event{MsgID: "p:k3"}); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Errorf("Once with a sqlitestore: %d calls; want 1", calls)
	}
}

// TestNew: a Store in an application's database, which Close leaves open.
func TestNew(t *testing.T) {
	db, err := sql.Open("sqlite3", filepath.Join(t.TempDir(), "own.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := sqlitestore.New(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Errorf("the application's database after Close: %v; want open", err)
	}
	var name string
	if err := db.QueryRow(`SELECT name FROM sqlite_master WHERE name = ?`, sqlitestore.Table).Scan(&name); err != nil {
		t.Errorf("table %s: %v", sqlitestore.Table, err)
	}
}

// TestHandlerPanic: a handler that panics (the Subscription recovers it)
// leaves nothing behind, not even the transaction's write lock: the next
// event is handled at once.
func TestHandlerPanic(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, filepath.Join(t.TempDir(), "app.db"))
	h := s.Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO charges VALUES (?, 100)`, ev.ID); err != nil {
			return err
		}
		if ev.ID == "evt_panic" {
			panic("handler bug")
		}
		return nil
	})
	func() {
		defer func() { recover() }()
		h(ctx, &consume.Event{MsgID: "stripe:evt_panic", ID: "evt_panic"})
	}()
	tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h(tctx, &consume.Event{MsgID: "stripe:evt_2", ID: "evt_2"}); err != nil {
		t.Fatalf("the event after a panic: %v", err)
	}
	if n := count(t, s.DB()); n != 1 {
		t.Errorf("charges = %d; want 1 (evt_2's; the panicking handler's write rolled back)", n)
	}
}
