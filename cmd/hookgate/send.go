package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/sender"
)

func defineSend(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE`")
	name := fs.String("provider", "", "provider `NAME` from the config (required)")
	base := gatewayFlag(fs, "(default: from the config's listen address)")
	var ev sender.Event
	fs.StringVar(&ev.ID, "id", "", "event `ID` (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event `TYPE` (default: hookgate.test)")
	fs.StringVar(&ev.Entity, "entity", "", "ordering `KEY`, for providers with ordering")
	fs.StringVar(&ev.Version, "version", "", "ordering `VERSION` (default: now)")
	bodyFile := fs.String("body", "", "`FILE` with the exact body to send")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		if *name == "" {
			return fmt.Errorf("%w: -provider is required", errUsage)
		}
		if *bodyFile != "" {
			b, err := os.ReadFile(*bodyFile)
			if err != nil {
				return err
			}
			ev.Body = b
		}
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		if _, err := cfg.Provider(*name); err != nil { // bad usage, as for sign and verify
			return &exitError{2, "hookgate: " + err.Error()}
		}
		resp, err := sender.Send(ctx, cfg, *name, *base, ev, stdout)
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			return fmt.Errorf("gateway answered %s", resp.Status)
		}
		return nil
	}
}
