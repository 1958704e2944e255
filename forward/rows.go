package forward

import (
	"context"
	"database/sql"
	"fmt"
)

// Rows is the part of *sql.DB or *sql.Tx that queries need.
type Rows interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// collect runs a query and turns each row into a T with scan. Errors are
// wrapped as "forward: <what>: ...", whichever step fails.
func collect[T any](ctx context.Context, db Rows, what, query string, args []any, scan func(*sql.Rows) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("forward: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("forward: %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("forward: %s: %w", what, err)
	}
	return out, nil
}

// withBody returns cols, followed by the header and body columns when
// bodies is set: the columns that [scanMessage] reads.
func withBody(cols string, bodies bool) string {
	if bodies {
		return cols + ", header, body"
	}
	return cols
}

// scanMessage scans a row into dest and, when bodies is set, the header
// and body columns that follow them into m.
func scanMessage(rows *sql.Rows, m *Message, bodies bool, dest ...any) error {
	var hdr []byte
	if bodies {
		dest = append(dest, &hdr, &m.Body)
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if !bodies {
		return nil
	}
	var err error
	m.Header, err = decodeHeader(hdr)
	return err
}
