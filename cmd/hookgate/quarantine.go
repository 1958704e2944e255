package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

// quarantineOff is the note added when the config keeps no quarantine.
const quarantineOff = "quarantine.enabled is false in this config: only requests kept while it was on are there"

func defineQuarantine(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the quarantine)")
	provider := fs.String("provider", "", "only requests to the provider `NAME`")
	limit := fs.Int("limit", 100, "list at most `N` requests, newest first")
	id := fs.Int64("id", 0, "print the request `N` as a request file")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		rs, err := listQuarantine(ctx, cfg, *provider, *id, *limit)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			msg := "hookgate: no quarantined request"
			if *id != 0 {
				msg += fmt.Sprintf(" %d", *id)
			}
			if *provider != "" {
				msg += " of provider " + *provider
			}
			return &exitError{1, msg + notes(cfg, *provider, !cfg.Quarantine.Enabled, quarantineOff)}
		}
		if *id == 0 {
			writeQuarantine(stdout, rs)
			return nil
		}
		return writeRequestFile(stdout, rs[0].Request)
	}
}

// quarantinedRequest is one request the quarantine kept.
type quarantinedRequest struct {
	ID         int64
	Provider   string
	Reason     string
	Error      string
	ReceivedAt time.Time
	Request    *verify.Request
}

// listQuarantine reads the quarantine of the database in cfg's data_dir,
// read-only, newest first: at most limit requests (100 if not positive),
// of provider when set; id > 0 selects one request.
func listQuarantine(ctx context.Context, cfg *config.Config, provider string, id int64, limit int) ([]quarantinedRequest, error) {
	if limit <= 0 {
		limit = 100
	}
	return readOnly(cfg, func(db *sql.DB) ([]quarantinedRequest, error) {
		return scanQuarantine(ctx, db, provider, id, limit)
	})
}

// scanQuarantine is the query of listQuarantine.
func scanQuarantine(ctx context.Context, db *sql.DB, provider string, id int64, limit int) ([]quarantinedRequest, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, provider, reason, error, method, url, header, body, received_at FROM quarantine
		WHERE (? = '' OR provider = ?) AND (? = 0 OR id = ?) ORDER BY id DESC LIMIT ?`, provider, provider, id, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []quarantinedRequest
	for rows.Next() {
		var (
			r   quarantinedRequest
			hdr []byte
			at  int64
		)
		r.Request = &verify.Request{}
		if err := rows.Scan(&r.ID, &r.Provider, &r.Reason, &r.Error, &r.Request.Method, &r.Request.URL, &hdr, &r.Request.Body, &at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(hdr, &r.Request.Header); err != nil {
			return nil, fmt.Errorf("quarantine %d: %w", r.ID, err)
		}
		r.ReceivedAt = time.Unix(0, at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// writeQuarantine prints kept requests as a table.
func writeQuarantine(w io.Writer, rs []quarantinedRequest) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED AT\tPROVIDER\tREASON\tBYTES\tERROR")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\n", r.ID, r.ReceivedAt.UTC().Format(time.RFC3339), r.Provider, r.Reason, len(r.Request.Body), r.Error)
	}
	tw.Flush()
}
