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
		if _, err := config.Load(*path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: OK\n", *path)
		return nil
	}
}
