package forward

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Migrations holds the outbox schema as versioned files
// migrations/NNN_name.sql. The gateway applies them in file-name order; each
// file is one version and is applied once.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Execer is the part of *sql.Tx that [Enqueue] needs.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Querier is the part of *sql.DB or *sql.Tx that [Depth] needs.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Enqueue inserts m into the outbox inside the caller's transaction tx; the
// relay publishes it once the transaction commits (call [Relay.Notify] after
// the commit). now is stored as the row's creation time.
//
// The header is stored as JSON of map[string][]string (NULL when empty) and
// the body byte for byte. Enqueue validates the message first and returns an
// error wrapping [ErrInvalidMessage], without writing, if m has no ID, if
// its subject is empty, longer than 1024 bytes, has an empty token, a
// wildcard or whitespace, or a first token that starts with '$' or is
// "_INBOX" (NATS system, JetStream API and reply subjects; [Subject] never
// renders one), or if a header name is empty, malformed or starts
// with "Nats-" (reserved: such headers change how JetStream stores the
// message), or a header value contains CR or LF. A message that is enqueued
// is therefore publishable; only its size is checked later, against the
// server's max payload (see [Message.Size]).
func Enqueue(ctx context.Context, tx Execer, m Message, now time.Time) error {
	return enqueue(ctx, tx, m, now, nil)
}

// Check returns the error wrapping [ErrInvalidMessage] that [Enqueue]
// would return for m, without writing anything: for a message that is
// published without passing through the outbox.
func Check(m Message) error {
	return validateMessage(&m)
}

// enqueue is Enqueue for a row of the replay replay (nil: an accepted
// event).
func enqueue(ctx context.Context, tx Execer, m Message, now time.Time, replay *string) error {
	if err := validateMessage(&m); err != nil {
		return err
	}
	hdr, err := encodeHeader(m.Header)
	if err != nil {
		return fmt.Errorf("forward: encode header of %q: %w", m.ID, err)
	}
	body := m.Body
	if body == nil {
		body = []byte{}
	}
	_, err = tx.ExecContext(ctx,
		`INSERT INTO outbox (msg_id, subject, header, body, created_at, replay) VALUES (?, ?, ?, ?, ?, ?)`,
		m.ID, m.Subject, hdr, body, now.UnixNano(), replay)
	if err != nil {
		return fmt.Errorf("forward: enqueue %q: %w", m.ID, err)
	}
	return nil
}

func validateMessage(m *Message) error {
	if m.ID == "" {
		return fmt.Errorf("no ID: %w", ErrInvalidMessage)
	}
	if strings.ContainsAny(m.ID, "\r\n") {
		return fmt.Errorf("ID %q contains a line break: %w", m.ID, ErrInvalidMessage)
	}
	if p := checkSubject(m.Subject); p != "" {
		return fmt.Errorf("message %q: subject %q: %s: %w", m.ID, m.Subject, p, ErrInvalidMessage)
	}
	for k, vs := range m.Header {
		if p := checkHeaderName(k); p != "" {
			return fmt.Errorf("message %q: header %q: %s: %w", m.ID, k, p, ErrInvalidMessage)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return fmt.Errorf("message %q: header %q: value contains a line break: %w", m.ID, k, ErrInvalidMessage)
			}
		}
	}
	return nil
}

// ValidateHeaderName checks that name can name a header of a message
// (Enqueue refuses a message with a header whose name fails it): not
// empty, not Nats-* (the NATS server's), and printable ASCII without a
// colon. The error says what is wrong with it.
func ValidateHeaderName(name string) error {
	if p := checkHeaderName(name); p != "" {
		return errors.New(p)
	}
	return nil
}

func checkHeaderName(k string) string {
	if k == "" {
		return "empty name"
	}
	if len(k) >= 5 && strings.EqualFold(k[:5], "Nats-") {
		return "Nats-* headers are reserved"
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c >= 0x7f || c == ':' {
			return fmt.Sprintf("invalid character %q", c)
		}
	}
	return ""
}

// Stats describes the outbox at one moment.
type Stats struct {
	// Rows is the number of messages not yet acknowledged by NATS.
	Rows int64
	// Bytes is the total size of their bodies.
	Bytes int64
	// Oldest is the creation time of the oldest row; zero when Rows is 0.
	Oldest time.Time
	// Largest is the largest row's size on the wire (its [Message.Size]:
	// stored header block, Nats-Msg-Id line and body); 0 when Rows is 0.
	// A server whose max_payload is below it cannot take that row.
	Largest int64
}

// Age returns how long the oldest row has waited at now; 0 when the outbox
// is empty.
func (s Stats) Age(now time.Time) time.Duration {
	if s.Rows == 0 || s.Oldest.IsZero() {
		return 0
	}
	return now.Sub(s.Oldest)
}

// Depth reports the outbox rows, their total body bytes and the oldest
// creation time. It reads the whole table (cost grows with the outbox), so
// call it periodically rather than once per request.
func Depth(ctx context.Context, q Querier) (Stats, error) {
	var (
		s      Stats
		oldest sql.NullInt64
	)
	err := q.QueryRowContext(ctx,
		`SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0), MIN(created_at),
			COALESCE(MAX(COALESCE(LENGTH(header), ?) + LENGTH(msg_id) + LENGTH(body)), 0) FROM outbox`, len(headerPreamble)+2).
		Scan(&s.Rows, &s.Bytes, &oldest, &s.Largest)
	if err != nil {
		return Stats{}, fmt.Errorf("forward: outbox depth: %w", err)
	}
	if oldest.Valid {
		s.Oldest = time.Unix(0, oldest.Int64)
	}
	if s.Largest > 0 {
		s.Largest += int64(len(HeaderMsgID) + len(": \r\n"))
	}
	return s, nil
}

// row is a fetched outbox row.
type row struct {
	seq       int64
	createdAt int64
}

// decodeHeader decodes the stored header column.
// Stored headers are a NATS header block ("NATS/1.0\r\nK: V\r\n...\r\n"),
// which validateMessage keeps well formed (no CR or LF in a value, no colon
// in a name). Rows written by earlier versions hold JSON, recognised by its
// leading brace.
const headerPreamble = "NATS/1.0\r\n"

// encodeHeader writes h as a header block, names in sorted order; nil for no
// headers.
func encodeHeader(h map[string][]string) ([]byte, error) {
	if len(h) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(h))
	size := len(headerPreamble) + 2
	for k, vs := range h {
		names = append(names, k)
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	sort.Strings(names)
	b := make([]byte, 0, size)
	b = append(b, headerPreamble...)
	for _, k := range names {
		for _, v := range h[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	return append(b, "\r\n"...), nil
}

// decodeHeader reads what encodeHeader wrote (or the JSON of earlier rows).
func decodeHeader(b []byte) (nats.Header, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if b[0] == '{' {
		var h nats.Header
		if err := json.Unmarshal(b, &h); err != nil {
			return nil, err
		}
		return h, nil
	}
	rest, ok := bytes.CutPrefix(b, []byte(headerPreamble))
	if !ok {
		return nil, errors.New("forward: stored header is neither a header block nor JSON")
	}
	h := nats.Header{}
	for len(rest) > 0 {
		line, tail, ok := bytes.Cut(rest, []byte("\r\n"))
		if !ok {
			return nil, errors.New("forward: stored header block is truncated")
		}
		rest = tail
		if len(line) == 0 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(": "))
		if !ok {
			return nil, fmt.Errorf("forward: stored header line %q has no colon", line)
		}
		key := string(k)
		h[key] = append(h[key], string(v))
	}
	return h, nil
}
