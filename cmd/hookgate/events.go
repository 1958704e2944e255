package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/gateway"
)

// archiveOff is the note added when the config keeps no archive.
const archiveOff = "archive.enabled is false in this config: only events archived while it was on are kept"

func defineEvents(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the archive)")
	query := queryFlags(fs, false)
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		q, err := query()
		if err != nil {
			return err
		}
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		if q.Status == gateway.StatusParked {
			pq, err := gateway.ParkedQuery(q)
			if err != nil {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			rows, err := readOnly(cfg, func(db *sql.DB) ([]forward.Parked, error) {
				return forward.ParkedRows(ctx, db, pq, false)
			})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return &exitError{1, "hookgate: no row is parked"}
			}
			writeParked(stdout, rows)
			return nil
		}
		rs, err := readOnly(cfg, func(db *sql.DB) ([]forward.Record, error) {
			return forward.Events(ctx, db, q, q.EventID != "")
		})
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			msg := "hookgate: no archived event matches"
			if q.EventID != "" {
				msg = fmt.Sprintf("hookgate: no archived event with ID %q", q.EventID)
				if q.Provider != "" {
					msg += " of provider " + q.Provider
				}
			}
			return &exitError{1, msg + notes(cfg, q.Provider, !cfg.Archive.Enabled, archiveOff)}
		}
		if !cfg.Archive.Enabled {
			fmt.Fprintln(stderr, "hookgate: note: "+archiveOff)
		}
		writeEvents(stdout, rs, q.EventID != "")
		return nil
	}
}

// notes is what a listing that found nothing adds to say why it may be
// empty: that provider (when set) is not in cfg, which is no error (its
// rows stay after it is removed), and, when off, the note that the
// feature is off in cfg.
func notes(cfg *config.Config, provider string, off bool, offNote string) string {
	var ns []string
	if provider != "" {
		if _, err := cfg.Provider(provider); err != nil {
			ns = append(ns, "provider "+provider+" is not in this config")
		}
	}
	if off {
		ns = append(ns, offNote)
	}
	if len(ns) == 0 {
		return ""
	}
	return " (" + strings.Join(ns, "; ") + ")"
}

// writeEvents prints records as a table, or each in full.
func writeEvents(w io.Writer, rs []forward.Record, full bool) {
	if full {
		for _, r := range rs {
			fmt.Fprintf(w, "archive id:  %d\nprovider:    %s\nevent id:    %s\ntype:        %s\nstatus:      %s\nsubject:     %s\nreceived at: %s\nduplicates:  %d\n",
				r.ID, r.Provider, r.EventID, r.EventType, r.Status, r.Message.Subject, r.ReceivedAt.UTC().Format(time.RFC3339Nano), r.Duplicates)
			for _, k := range slices.Sorted(maps.Keys(r.Message.Header)) {
				for _, v := range r.Message.Header[k] {
					fmt.Fprintf(w, "%s: %s\n", k, v)
				}
			}
			fmt.Fprintf(w, "\n%s\n", r.Message.Body)
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ARCHIVE ID\tRECEIVED AT\tPROVIDER\tEVENT ID\tTYPE\tSTATUS\tDUPLICATES")
	for _, r := range rs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", r.ID, r.ReceivedAt.UTC().Format(time.RFC3339), r.Provider, r.EventID, r.EventType, r.Status, r.Duplicates)
	}
	tw.Flush()
}

// writeParked prints parked rows as a table.
func writeParked(w io.Writer, rows []forward.Parked) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tPARKED AT\tMESSAGE ID\tSUBJECT\tBYTES\tATTEMPTS\tERROR")
	for _, p := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", p.Seq, p.ParkedAt.UTC().Format(time.RFC3339), p.Message.ID,
			p.Message.Subject, len(p.Message.Body), p.Attempts, p.Error)
	}
	tw.Flush()
}
