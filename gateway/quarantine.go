package gateway

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"hookgate/verify"
)

// quarantineMigrations is the schema of the tables gateway owns.
//
//go:embed migrations/*.sql
var quarantineMigrations embed.FS

// QuarantineConfig keeps requests that fail verification, for inspection
// with `hookgate quarantine` and `hookgate verify`. Off by default.
type QuarantineConfig struct {
	Enabled  bool  `yaml:"enabled"`
	MaxCount int   `yaml:"max_count"` // default 1000; the oldest go first
	MaxBytes int64 `yaml:"max_bytes"` // default 16 MiB of bodies
}

// quarantined is one kept request.
type quarantined struct {
	provider, reason, err string
	req                   *verify.Request
	at                    time.Time
}

// Bounds of what the quarantine writes, so that a flood of bad requests
// cannot hold the database's single write connection long: a kept body is
// cut to quarantineBody bytes (the error says so), and one transaction
// writes at most quarantineBatch bytes of bodies (and at least one).
const (
	quarantineBody  = 64 << 10
	quarantineBatch = 1 << 20
)

// quarantine writes failed requests in the background, off the request
// path: a full queue drops the request (and counts it) rather than slowing
// the gateway under a flood of bad requests.
type quarantine struct {
	db       *sql.DB
	cfg      QuarantineConfig
	queue    chan quarantined
	mu       sync.RWMutex  // keep's send (read) against close (write)
	stop     chan struct{} // closed by close, under mu: keep drops from then on
	done     chan struct{}
	stopOnce sync.Once
	dropped  func()
	failed   func(error)
}

func newQuarantine(db *sql.DB, cfg QuarantineConfig, dropped func(), failed func(error)) *quarantine {
	q := &quarantine{db: db, cfg: cfg, queue: make(chan quarantined, 256), stop: make(chan struct{}), done: make(chan struct{}),
		dropped: dropped, failed: failed}
	go q.run()
	return q
}

// keep queues a request; it never blocks, and after close it drops (a
// handler may outlive the HTTP server's shutdown). The body is the
// request's read buffer, which goes back to its pool after the request:
// keep copies what it keeps of it (at most quarantineBody bytes), and
// only when the request is queued.
func (q *quarantine) keep(item quarantined) {
	body := item.req.Body
	if n := len(body); n > quarantineBody {
		body = body[:quarantineBody]
		item.err += fmt.Sprintf(" (body cut to its first %d of %d bytes)", quarantineBody, n)
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	select {
	case <-q.stop:
		q.dropped()
		return
	default:
	}
	if len(q.queue) == cap(q.queue) {
		q.dropped() // full: do not copy a body that would be dropped
		return
	}
	item.req.Body = bytes.Clone(body)
	select {
	case q.queue <- item:
	default:
		q.dropped()
	}
}

// close writes what is queued and stops. It closes stop under mu: no keep
// is sending then, and none will, so the queue holds all there is to write.
func (q *quarantine) close() {
	q.stopOnce.Do(func() {
		q.mu.Lock()
		close(q.stop)
		q.mu.Unlock()
	})
	<-q.done
}

func (q *quarantine) run() {
	defer close(q.done)
	var batch []quarantined
	for {
		var item quarantined
		select {
		case item = <-q.queue:
		case <-q.stop:
			select {
			case item = <-q.queue: // what was queued before close
			default:
				return
			}
		}
		batch = append(batch[:0], item)
		size := len(item.req.Body)
	more:
		for size < quarantineBatch {
			select {
			case it := <-q.queue:
				batch = append(batch, it)
				size += len(it.req.Body)
			default:
				break more
			}
		}
		if err := q.write(batch); err != nil {
			q.failed(err)
		}
	}
}

// write stores a batch and trims the table to its bounds, in one
// transaction.
func (q *quarantine) write(batch []quarantined) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, it := range batch {
		hdr, err := json.Marshal(it.req.Header)
		if err != nil {
			return err
		}
		body := it.req.Body
		if body == nil {
			body = []byte{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO quarantine (provider, reason, error, method, url, header, body, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, it.provider, it.reason, it.err, it.req.Method, it.req.URL, hdr, body, it.at.UnixNano()); err != nil {
			return err
		}
	}
	// Keep the newest rows within both bounds.
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine WHERE id <= (SELECT id FROM quarantine ORDER BY id DESC LIMIT 1 OFFSET ?)`, q.cfg.MaxCount); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine WHERE id < (
		SELECT min(id) FROM (SELECT id, sum(length(body)) OVER (ORDER BY id DESC) AS total FROM quarantine) WHERE total <= ?)`, q.cfg.MaxBytes); err != nil {
		return err
	}
	return tx.Commit()
}

// redact copies h without the named headers' values, which are replaced
// by "[redacted]": a credential must not rest in the quarantine.
func redact(h http.Header, names []string) http.Header {
	c := h.Clone()
	for _, name := range names {
		if _, ok := c[http.CanonicalHeaderKey(name)]; ok {
			c.Set(name, "[redacted]")
		}
	}
	return c
}

// QuarantinedRequest is one kept request, as `hookgate quarantine` shows it.
type QuarantinedRequest struct {
	ID         int64
	Provider   string
	Reason     string
	Error      string
	ReceivedAt time.Time
	Request    *verify.Request
}

// ListQuarantine reads the quarantine of the database in cfg's data_dir,
// read-only, newest first; id > 0 selects one request.
func ListQuarantine(ctx context.Context, cfg *Config, provider string, id int64, limit int) ([]QuarantinedRequest, error) {
	db, err := openReadOnly(cfg)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.QueryContext(ctx, `SELECT id, provider, reason, error, method, url, header, body, received_at FROM quarantine
		WHERE (? = '' OR provider = ?) AND (? = 0 OR id = ?) ORDER BY id DESC LIMIT ?`, provider, provider, id, id, limit)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	defer rows.Close()
	var out []QuarantinedRequest
	for rows.Next() {
		var (
			r   QuarantinedRequest
			hdr []byte
			at  int64
		)
		r.Request = &verify.Request{}
		if err := rows.Scan(&r.ID, &r.Provider, &r.Reason, &r.Error, &r.Request.Method, &r.Request.URL, &hdr, &r.Request.Body, &at); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		if err := json.Unmarshal(hdr, &r.Request.Header); err != nil {
			return nil, fmt.Errorf("%w: quarantine %d: %w", ErrStorage, r.ID, err)
		}
		r.ReceivedAt = time.Unix(0, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// WriteQuarantine prints kept requests as a table.
func WriteQuarantine(w io.Writer, rs []QuarantinedRequest) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED AT\tPROVIDER\tREASON\tBYTES\tERROR")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.ReceivedAt.UTC().Format(time.RFC3339), r.Provider, r.Reason, len(r.Request.Body), r.Error)
	}
	tw.Flush()
}
