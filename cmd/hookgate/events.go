package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"hookgate/gateway"
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
		cfg, err := gateway.LoadConfig(*path)
		if err != nil {
			return err
		}
		if q.Status == gateway.StatusParked {
			rows, err := gateway.ListParked(ctx, cfg, q)
			if errors.Is(err, gateway.ErrConfig) {
				return fmt.Errorf("%w: %w", errUsage, err)
			}
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				return &exitError{1, "hookgate: no row is parked"}
			}
			gateway.WriteParked(stdout, rows)
			return nil
		}
		rs, err := gateway.ListEvents(ctx, cfg, q, q.EventID != "")
		if err != nil {
			return err
		}
		if len(rs) == 0 && q.EventID != "" {
			msg := fmt.Sprintf("hookgate: no archived event with ID %q", q.EventID)
			if q.Provider != "" {
				msg += " of provider " + q.Provider
			}
			if !cfg.Archive.Enabled {
				msg += " (" + archiveOff + ")"
			}
			return &exitError{1, msg}
		}
		if !cfg.Archive.Enabled {
			fmt.Fprintln(stderr, "hookgate: note: "+archiveOff)
		}
		gateway.WriteEvents(stdout, rs, q.EventID != "")
		if len(rs) == 0 {
			fmt.Fprintln(stderr, "hookgate: no archived event matches")
		}
		return nil
	}
}
