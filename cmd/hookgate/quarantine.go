package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"hookgate/gateway"
)

func defineQuarantine(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its data_dir holds the quarantine)")
	provider := fs.String("provider", "", "only requests to the provider `NAME`")
	limit := fs.Int("limit", 100, "list at most `N` requests, newest first")
	id := fs.Int64("id", 0, "print the request `N` as a request file")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		cfg, err := gateway.LoadConfig(*path)
		if err != nil {
			return err
		}
		rs, err := gateway.ListQuarantine(ctx, cfg, *provider, *id, *limit)
		if err != nil {
			return err
		}
		if *id == 0 {
			gateway.WriteQuarantine(stdout, rs)
			return nil
		}
		if len(rs) == 0 {
			msg := fmt.Sprintf("hookgate: no quarantined request %d", *id)
			if *provider != "" {
				msg += " of provider " + *provider
			}
			if !cfg.Quarantine.Enabled {
				msg += " (quarantine.enabled is false in this config: only requests kept while it was on are there)"
			}
			return &exitError{1, msg}
		}
		return writeRequestFile(stdout, rs[0].Request)
	}
}
