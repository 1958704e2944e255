package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hookgate/hookgate/config"
)

func defineCheckConfig(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE`")
	return func(_ context.Context, stdout, _ io.Writer) error {
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		// What only serve reads: the signing key.
		if _, err := cfg.NATS.Sign.Load(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: OK\n", *path)
		return nil
	}
}
