package gateway

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

// quarantineMigrations is the schema of the tables gateway owns.
//
//go:embed migrations/*.sql
var quarantineMigrations embed.FS

// quarantined is one kept request.
type quarantined struct {
	provider, reason, err string
	req                   *verify.Request
	at                    time.Time
}

// Bounds of what the quarantine writes, so that a flood of bad requests
// cannot hold the database's single write connection long: a kept body is
// cut to quarantineBody bytes, or to quarantine.max_bytes when smaller (the
// error says so), and one transaction writes at most quarantineBatch bytes
// of bodies (and at least one).
const (
	quarantineBody  = 64 << 10
	quarantineBatch = 1 << 20
)

// quarantine writes failed requests in the background, off the request
// path: a full queue drops the request (and counts it) rather than slowing
// the gateway under a flood of bad requests.
type quarantine struct {
	db       *sql.DB
	cfg      config.Quarantine
	queue    chan quarantined
	mu       sync.RWMutex  // keep's send (read) against close (write)
	stop     chan struct{} // closed by close, under mu: keep drops from then on
	done     chan struct{}
	stopOnce sync.Once
	dropped  func()
	failed   func(error)
}

func newQuarantine(db *sql.DB, cfg config.Quarantine, dropped func(), failed func(error)) *quarantine {
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
	if n, most := len(body), q.maxBody(); n > most {
		body = body[:most]
		item.err += fmt.Sprintf(" (body cut to its first %d of %d bytes)", most, n)
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

// maxBody is the most of a body the quarantine keeps: quarantineBody, or
// quarantine.max_bytes when that is smaller, so that the newest request
// always fits the table's bound.
func (q *quarantine) maxBody() int {
	if q.cfg.MaxBytes > 0 && q.cfg.MaxBytes < quarantineBody {
		return int(q.cfg.MaxBytes)
	}
	return quarantineBody
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
	// The rows older than the oldest one within max_bytes (counted from
	// the newest) go. keep cuts a body to max_bytes, so the newest is
	// always within it: were it not, no row would be and none would go.
	if _, err := tx.ExecContext(ctx, `DELETE FROM quarantine WHERE id < (
		SELECT min(id) FROM (SELECT id, sum(length(body)) OVER (ORDER BY id DESC) AS total FROM quarantine) WHERE total <= ?)`, q.cfg.MaxBytes); err != nil {
		return err
	}
	return tx.Commit()
}
