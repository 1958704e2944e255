package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/store"
)

// ReplayRequest is the body of POST /admin/replay: an archive query (at
// least a provider, an event ID or a start time) and an optional subject
// (for the events' own messages: route copies and forwarded stale events
// keep theirs); or Parked, to send parked rows again (those of Seqs, or
// all of them).
type ReplayRequest struct {
	Provider string `json:"provider"`
	EventID  string `json:"id"`
	Since    string `json:"since"`
	Until    string `json:"until"`
	Subject  string `json:"subject"`
	// Route limits the replay to that route's copies (the routes are
	// evaluated again, as they are now).
	Route  string  `json:"route"`
	Parked bool    `json:"parked"`
	Seqs   []int64 `json:"seq"`
}

// maxAdminBody bounds the JSON body of an admin API request.
const maxAdminBody = 1 << 20

// decodeJSON reads an admin API request's body as one JSON object into v.
// It takes the body with Content-Type application/json or with none (curl
// -d sends a form type; a client that sends a body says what it is, so only
// another explicit type is refused). Unknown fields are errors.
func decodeJSON(c echo.Context, v any) error {
	req := c.Request()
	if ct := req.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/x-www-form-urlencoded") {
			return fmt.Errorf("the body must be a JSON object (Content-Type: application/json, or none); got Content-Type %q", ct)
		}
	}
	dec := json.NewDecoder(io.LimitReader(req.Body, maxAdminBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the body must be a JSON object; it is empty")
		}
		return fmt.Errorf("the body is not the JSON object expected: %w", err)
	}
	if dec.More() {
		return errors.New("the body must be one JSON object; more follows it")
	}
	return nil
}

func (s *Server) adminReplay(c echo.Context) error {
	var r ReplayRequest
	if err := decodeJSON(c, &r); err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	ctx := c.Request().Context()
	if r.Parked {
		if r.Provider != "" || r.EventID != "" || r.Since != "" || r.Until != "" || r.Subject != "" || r.Route != "" {
			return c.JSON(http.StatusBadRequest, map[string]string{"error": "parked takes seq only: parked rows are sent again as they were"})
		}
		n, err := s.ResendParked(ctx, r.Seqs)
		switch {
		case err != nil:
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		case n == 0:
			return c.JSON(http.StatusNotFound, map[string]string{"error": errNothingParked.Error()})
		}
		return c.JSON(http.StatusOK, map[string]any{"parked_sent_again": n})
	}
	if len(r.Seqs) > 0 {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": "seq goes with parked: true"})
	}
	q, err := EventQuery(func(k string) string {
		return map[string]string{"provider": r.Provider, "id": r.EventID, "since": r.Since, "until": r.Until}[k]
	})
	if err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	if q.Expand, err = expander(s.rules.Load(), s.table.Load(), r.Route); err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	}
	// The replay is queued apart from the request: a client that goes
	// away, or a write deadline, does not stop it halfway (the client
	// would not know what was queued, and a retry would send it twice).
	run, err := s.startReplay(context.WithoutCancel(ctx), q, r.Subject)
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	t := time.NewTimer(replayAnswerWait)
	defer t.Stop()
	select {
	case <-run.done:
	case <-t.C:
	case <-ctx.Done(): // the client went away; the replay goes on
	}
	if s.replays.detach(run) {
		n, m := run.progress()
		return c.JSON(http.StatusAccepted, map[string]any{"replay_id": run.id, "status": "queuing", "events": n, "messages": m})
	}
	id, count, err := run.id, run.count, run.err
	n := count.Events
	switch {
	case errors.Is(err, store.ErrInvalidReplay):
		return c.JSON(http.StatusBadRequest, map[string]string{"error": err.Error()})
	case errors.Is(err, store.ErrReplayCancelled):
		return c.JSON(http.StatusConflict, map[string]string{"error": err.Error(), "replay_id": id})
	case err != nil:
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	answer := map[string]any{"replay_id": id, "status": "queued", "events": n, "messages": count.Messages}
	if count.Messages == 0 {
		if why, err := WhyNothingQueued(ctx, s.db, q, r.Route, count); err == nil {
			answer["reason"] = why
		}
	}
	return c.JSON(http.StatusOK, answer)
}

// WhyNothingQueued says why a replay of q, limited to route ("" for all
// the routes), that queued c queued no message: store.WhyNoReplay when it
// replayed no archived event; else that the route, or the routes, as they
// are now, made no message of the events it did take. It is "" when c
// queued messages.
func WhyNothingQueued(ctx context.Context, db *store.DB, q Query, route string, c store.ReplayCount) (string, error) {
	switch {
	case c.Messages > 0:
		return "", nil
	case c.Events == 0:
		return store.WhyNoReplay(ctx, db, q)
	}
	matched, them := fmt.Sprintf("%d archived events match", c.Events), "any of them"
	if c.Events == 1 {
		matched, them = "1 archived event matches", "it"
	}
	if route != "" {
		return fmt.Sprintf("%s, but route %q, as the routes are now, makes no copy of %s", matched, route, them), nil
	}
	return fmt.Sprintf("%s, but the routes, as they are now, drop %s", matched, them), nil
}

// replayAnswerWait is how long POST /admin/replay waits for the replay to
// be queued before it answers 202 with the replay's ID, well within the
// admin listener's write timeout.
var replayAnswerWait = 10 * time.Second

// errShuttingDown is the cause that stops the replays being queued when
// the gateway stops.
var errShuttingDown = errors.New("gateway: shutting down")

// replayRun is a replay being queued by this process.
type replayRun struct {
	id       string
	provider string
	started  time.Time
	cancel   context.CancelCauseFunc
	done     chan struct{} // closed once count and err are set
	// events and messages are what it queued so far.
	events, messages atomic.Int64
	// detached is set (under replayRuns.mu) when the request that started
	// it was answered before it ended: it is then kept, once ended, in
	// replayRuns.ended, so that its outcome can be seen.
	detached bool
	count    store.ReplayCount
	err      error
}

// progress returns the events and messages the run queued so far.
func (r *replayRun) progress() (events, messages int64) {
	return r.events.Load(), r.messages.Load()
}

// keepEnded is how many ended replays that were answered before they
// ended are kept for GET /admin/replays.
const keepEnded = 16

// replayRuns are the replays this gateway is queuing now, and the last
// ended ones whose request was answered before they ended.
type replayRuns struct {
	mu     sync.Mutex
	runs   map[string]*replayRun
	ended  []*replayRun // oldest first, at most keepEnded
	closed bool         // the gateway is stopping: no new replay
}

func (r *replayRuns) add(run *replayRun) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return errShuttingDown
	}
	if r.runs == nil {
		r.runs = map[string]*replayRun{}
	}
	r.runs[run.id] = run
	return nil
}

// end records that run ended.
func (r *replayRuns) end(run *replayRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.runs, run.id)
	if run.detached {
		r.ended = append(r.ended, run)
		if len(r.ended) > keepEnded {
			r.ended = slices.Delete(r.ended, 0, len(r.ended)-keepEnded)
		}
	}
	close(run.done)
}

// detach marks run as answered before it ended, and reports false when it
// has ended already (its outcome can be answered).
func (r *replayRuns) detach(run *replayRun) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.runs[run.id] != run {
		return false
	}
	run.detached = true
	return true
}

func (r *replayRuns) get(id string) *replayRun {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[id]
}

// forget drops the ended replay id, and reports whether it was kept.
func (r *replayRuns) forget(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.ended)
	r.ended = slices.DeleteFunc(r.ended, func(run *replayRun) bool { return run.id == id })
	return len(r.ended) < n
}

// stop stops the replays being queued with cause, waits for them to end,
// and refuses new ones.
func (r *replayRuns) stop(cause error) {
	r.mu.Lock()
	r.closed = true
	runs := make([]*replayRun, 0, len(r.runs))
	for _, run := range r.runs {
		runs = append(runs, run)
	}
	r.mu.Unlock()
	for _, run := range runs {
		run.cancel(cause)
		<-run.done
	}
}

// Replay publishes the accepted archived events that match q again, through
// the outbox, with a new Nats-Msg-Id suffix and the Hookgate-Replay header.
// It returns the replay's ID and what it queued (also when an error
// stopped it: the pages committed before are sent). A query naming no
// provider or event and no time is refused, so a replay is never everything
// by accident; so is one whose subjects the stream does not take. While it
// is being queued it is listed by Replays and can be cancelled with
// CancelReplay; cancelling ctx, or closing the gateway, stops it between
// pages.
func (s *Server) Replay(ctx context.Context, q forward.Query, subject string) (string, store.ReplayCount, error) {
	run, err := s.startReplay(ctx, q, subject)
	if err != nil {
		return "", store.ReplayCount{}, err
	}
	<-run.done
	return run.id, run.count, run.err
}

// startReplay starts queuing a replay (see Replay) in its own goroutine,
// stopped by ctx, CancelReplay or Close.
func (s *Server) startReplay(ctx context.Context, q forward.Query, subject string) (*replayRun, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	run := &replayRun{id: store.NewReplayID(s.now()), provider: q.Provider, started: s.now(), cancel: cancel, done: make(chan struct{})}
	if err := s.replays.add(run); err != nil {
		cancel(nil)
		return nil, err
	}
	go func() {
		defer cancel(nil)
		// Each page is counted on the outbox as it commits: the relay may
		// send a page (and count it out) before the next one is queued.
		c, err := store.Replay(ctx, s.db, run.id, q, subject, s.streamSubjects, s.now(), store.ReplayOptions{
			PageSize:       replayPageSize,
			Outbox:         &s.outbox,
			OutboxMaxRows:  s.cfg.Storage.OutboxMaxRows,
			OutboxMaxBytes: s.cfg.Storage.OutboxMaxBytes,
			Wait:           replayWait,
			Committed: func(c store.ReplayCount) {
				run.events.Store(int64(c.Events))
				run.messages.Store(int64(c.Messages))
				s.relay.Notify()
			},
			AfterPage: replayPaged,
		})
		attrs := []any{"replay_id", run.id, "events", c.Events, "messages", c.Messages, "provider", q.Provider}
		switch {
		case err == nil && c.Messages > 0:
			s.log.Info("replay queued", attrs...)
		case err != nil && !errors.Is(err, store.ErrInvalidReplay) && !errors.Is(err, store.ErrReplayCancelled):
			s.log.Error("replay stopped before it was all queued; what it queued is sent", append(attrs, "err", err)...)
		}
		run.count, run.err = c, err
		s.replays.end(run)
	}()
	return run, nil
}

// ReplayInfo is a replay that is being queued, still has rows waiting in
// the outbox, or ended after its POST /admin/replay was answered.
type ReplayInfo struct {
	ID string `json:"replay_id"`
	// Queuing is set while the replay's pages are being queued.
	Queuing bool `json:"queuing"`
	// Events and Messages are what this gateway queued of it so far (0
	// for a replay queued by `hookgate replay`).
	Events   int64 `json:"events"`
	Messages int64 `json:"messages"`
	// Error says why its queuing stopped before the end, for a replay
	// that ended after its request was answered.
	Error string `json:"error,omitempty"`
	// Rows and Bytes wait in the outbox, not yet acknowledged by NATS.
	Rows  int64 `json:"rows"`
	Bytes int64 `json:"bytes"`
}

// Replays lists the replays being queued by this gateway or with rows in
// its outbox (queued by it or by `hookgate replay`), and the last ones
// that ended after their POST /admin/replay was answered, with their
// outcome.
func (s *Server) Replays(ctx context.Context) ([]ReplayInfo, error) {
	out, err := ListReplays(ctx, s.db.Read)
	if err != nil {
		return nil, err
	}
	s.replays.mu.Lock()
	defer s.replays.mu.Unlock()
	at := func(id string) *ReplayInfo {
		i := slices.IndexFunc(out, func(r ReplayInfo) bool { return r.ID == id })
		if i < 0 {
			out = append(out, ReplayInfo{ID: id})
			i = len(out) - 1
		}
		return &out[i]
	}
	for _, run := range s.replays.ended {
		r := at(run.id)
		r.Events, r.Messages = int64(run.count.Events), int64(run.count.Messages)
		if run.err != nil {
			r.Error = run.err.Error()
		}
	}
	for id, run := range s.replays.runs {
		r := at(id)
		r.Queuing = true
		r.Events, r.Messages = run.progress()
	}
	return out, nil
}

// ListReplays lists the replays with rows in the outbox of db.
func ListReplays(ctx context.Context, db forward.Rows) ([]ReplayInfo, error) {
	rs, err := forward.Replays(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	out := make([]ReplayInfo, len(rs))
	for i, r := range rs {
		out[i] = ReplayInfo{ID: r.ID, Rows: r.Rows, Bytes: r.Bytes}
	}
	return out, nil
}

// CancelReplay stops the replay id if this gateway is queuing it, and
// removes its rows that wait in the outbox (those already published are
// not recalled); an ended replay kept for Replays is dropped from it. It
// returns how many rows it removed, and ok false when the replay is
// neither queuing, waiting nor kept.
func (s *Server) CancelReplay(ctx context.Context, id string) (removed int64, ok bool, err error) {
	if run := s.replays.get(id); run != nil {
		run.cancel(store.ErrReplayCancelled)
		select {
		case <-run.done: // no page is committed after this
		case <-ctx.Done():
			return 0, true, ctx.Err()
		}
		ok = true
	}
	if s.replays.forget(id) {
		ok = true
	}
	n, bytes, err := store.CancelReplay(ctx, s.db, id)
	if n > 0 && !s.outbox.Remove(n, bytes) {
		// Rows queued by another process: count the table again.
		if err := s.outbox.Resync(ctx, s.db.Read); err != nil {
			s.log.Warn("outbox recount failed", "err", err)
		}
	}
	if n > 0 {
		s.log.Info("replay cancelled", "replay_id", id, "rows_removed", n)
	}
	return n, ok || n > 0, err
}

func (s *Server) adminReplays(c echo.Context) error {
	rs, err := s.Replays(c.Request().Context())
	if err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	}
	if rs == nil {
		rs = []ReplayInfo{}
	}
	return c.JSON(http.StatusOK, map[string]any{"replays": rs})
}

func (s *Server) adminCancelReplay(c echo.Context) error {
	id := c.Param("id")
	n, ok, err := s.CancelReplay(c.Request().Context(), id)
	switch {
	case err != nil:
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
	case !ok:
		return c.JSON(http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no replay %q is queuing or waiting in the outbox", id)})
	}
	return c.JSON(http.StatusOK, map[string]any{"replay_id": id, "status": "cancelled", "rows_removed": n})
}

// StreamSubjects returns the subjects of the stream cfg's gateway publishes
// to, for commands that check a replay beside it: nil in core mode (no
// stream); the configured nats.subjects for the embedded server (the
// stream is hookgate's own); for nats.url, the stream's own subjects, read
// from the server.
func StreamSubjects(ctx context.Context, cfg *config.Config) ([]string, error) {
	n := &cfg.NATS
	switch {
	case n.Mode == "core":
		return nil, nil
	case n.Embedded():
		return n.Subjects, nil
	}
	auth, err := n.NATSAuth.Options()
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	nc, err := nats.Connect(n.URL, append(auth, nats.Name("hookgate-replay"), nats.Timeout(5*time.Second))...)
	if err != nil {
		return nil, fmt.Errorf("nats: connect %s to read the subjects of stream %s: %w", config.RedactURL(n.URL), n.Stream, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("nats: %w", err)
	}
	st, err := js.Stream(ctx, n.Stream)
	if err != nil {
		return nil, fmt.Errorf("nats: stream %s: %w", n.Stream, err)
	}
	return st.CachedInfo().Config.Subjects, nil
}

// replayPageSize is the most events a replay enqueues per transaction
// (store.Replay's page size).
var replayPageSize = forward.MaxReplay

// replayWait is the longest a replay waits for room in the outbox
// (0: store.DefaultReplayWait).
var replayWait time.Duration

// replayPaged runs between the pages of a replay, with the replay's
// context (tests hold a replay there to cancel it).
var replayPaged = func(context.Context) {}
