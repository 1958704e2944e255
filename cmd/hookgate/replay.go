package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/gateway"
	"github.com/hookgate/hookgate/store"
)

// seqsFlag is a repeatable -seq.
type seqsFlag []int64

func (f *seqsFlag) String() string { return fmt.Sprint(*f) }
func (f *seqsFlag) Set(v string) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return fmt.Errorf("%q is not a parked row's seq", v)
	}
	*f = append(*f, n)
	return nil
}

func defineReplay(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the archive)")
	subject := fs.String("subject", "", "publish the events on `SUBJECT` instead of their own (route copies and forwarded stale events keep theirs)")
	route := fs.String("route", "", "only the copies of the route `NAME` (the routes are evaluated again)")
	parked := fs.Bool("parked", false, "send the parked rows again (all, or those of -seq), as they were")
	var seqs seqsFlag
	fs.Var(&seqs, "seq", "with -parked: only the parked row `N` (repeatable; see events -status parked)")
	list := fs.Bool("list", false, "list the replays with rows still waiting in the outbox")
	cancel := fs.String("cancel", "", "remove the rows of the replay `ID` that still wait in the outbox")
	query := queryFlags(fs, true)
	return func(ctx context.Context, stdout, _ io.Writer) error {
		q, err := query()
		if err != nil {
			return err
		}
		modes := 0
		for _, on := range []bool{*parked, *list, *cancel != ""} {
			if on {
				modes++
			}
		}
		filtered := q.Provider != "" || q.EventID != "" || !q.Since.IsZero() || !q.Until.IsZero() || q.Limit != 0 || *subject != "" || *route != ""
		switch {
		case modes > 1 || (modes == 1 && filtered):
			return fmt.Errorf("%w: -parked, -list and -cancel go alone (no query flags, no -subject, no -route)", errUsage)
		case len(seqs) > 0 && !*parked:
			return fmt.Errorf("%w: -seq goes with -parked", errUsage)
		}
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		db, err := openGatewayDB(ctx, cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		switch {
		case *list:
			return listReplays(ctx, db, stdout)
		case *cancel != "":
			return cancelReplay(ctx, db, *cancel, stdout)
		case *parked:
			return resendParked(ctx, db, seqs, stdout)
		}
		if q.Expand, err = gateway.ReplayExpander(cfg, *route); err != nil {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
		return replay(ctx, cfg, db, q, *subject, *route, stdout)
	}
}

// sent says when the rows a replay queued are published.
const sent = "a running gateway sends them within a second, a stopped one at its next start"

// openGatewayDB opens the database in cfg's data_dir for writing, beside
// a running gateway or without one, migrating nothing: a schema of
// another version than this binary's is refused. A missing database is an
// error: OpenDB would create an empty one, and the replay would "queue"
// nothing, successfully.
func openGatewayDB(ctx context.Context, cfg *config.Config) (*store.DB, error) {
	if _, err := os.Stat(filepath.Join(cfg.DataDir, store.File)); err != nil {
		return nil, fmt.Errorf("replay: no gateway database in data_dir %q (is the config the gateway's, run from its directory?): %w", cfg.DataDir, err)
	}
	return gateway.OpenDB(ctx, cfg.DataDir, store.Options{Synchronous: cfg.Storage.Synchronous, Beside: true})
}

// replay queues the accepted archived events that q matches again, on
// subject or their own (with route's copies alone when route is set); when
// it queues no message it says why.
func replay(ctx context.Context, cfg *config.Config, db *store.DB, q gateway.Query, subject, route string, stdout io.Writer) error {
	if q.Provider == "" && q.EventID == "" && q.Since.IsZero() {
		return fmt.Errorf("%w: replay needs -provider, -id or -since (or -parked, -list, -cancel)", errUsage)
	}
	stream, err := gateway.StreamSubjects(ctx, cfg)
	if err != nil {
		return fmt.Errorf("replay: cannot check the replay's subjects against the stream, so nothing was queued: %w", err)
	}
	now := time.Now()
	id := store.NewReplayID(now)
	c, err := store.Replay(ctx, db, id, q, subject, stream, now, store.ReplayOptions{
		OutboxMaxRows: cfg.Storage.OutboxMaxRows, OutboxMaxBytes: cfg.Storage.OutboxMaxBytes,
	})
	if errors.Is(err, store.ErrInvalidReplay) {
		return &exitError{1, "hookgate: " + err.Error()}
	}
	if err != nil {
		return err
	}
	if c.Messages == 0 {
		why, err := gateway.WhyNothingQueued(ctx, db, q, route, c)
		if err != nil {
			return err
		}
		msg := "hookgate: replay: nothing queued: " + why
		if c.Events == 0 && !cfg.Archive.Enabled {
			msg += " (" + archiveOff + ")"
		}
		return &exitError{1, msg}
	}
	queued := fmt.Sprintf("%d events", c.Events)
	if c.Messages != c.Events {
		queued = fmt.Sprintf("%d events (%d messages with their route copies)", c.Events, c.Messages)
	}
	fmt.Fprintf(stdout, "replay %s: %s queued in the outbox; %s\n", id, queued, sent)
	return nil
}

// listReplays prints the replays with rows waiting in the outbox.
func listReplays(ctx context.Context, db *store.DB, stdout io.Writer) error {
	rs, err := gateway.ListReplays(ctx, db.Read)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return &exitError{1, "hookgate: no replay has rows waiting in the outbox"}
	}
	writeReplays(stdout, rs)
	return nil
}

// cancelReplay removes the rows of the replay id that wait in the outbox.
func cancelReplay(ctx context.Context, db *store.DB, id string, stdout io.Writer) error {
	n, _, err := store.CancelReplay(ctx, db, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return &exitError{1, fmt.Sprintf("hookgate: replay %s has no rows waiting in the outbox (unknown, or already sent)", id)}
	}
	fmt.Fprintf(stdout, "replay %s cancelled: %d rows removed from the outbox before they were sent\n", id, n)
	return nil
}

// resendParked queues the parked rows of seqs (all when empty) again.
func resendParked(ctx context.Context, db *store.DB, seqs []int64, stdout io.Writer) error {
	n, _, err := store.ResendParked(ctx, db, seqs, time.Now())
	if err != nil {
		return err
	}
	if n == 0 {
		return &exitError{1, "hookgate: replay: no parked row matches (see hookgate events -status parked)"}
	}
	fmt.Fprintf(stdout, "%d parked rows queued again in the outbox; %s\n", n, sent)
	return nil
}

// writeReplays prints replays as a table.
func writeReplays(w io.Writer, rs []gateway.ReplayInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REPLAY ID\tQUEUING\tROWS WAITING\tBYTES")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%v\t%d\t%d\n", r.ID, r.Queuing, r.Rows, r.Bytes)
	}
	tw.Flush()
}
