package main

import (
	"context"
	"flag"
	"io"

	"hookgate/gateway"
)

func defineProviders(fs *flag.FlagSet) runFunc {
	markdown := fs.Bool("markdown", false, "print the Markdown table that README.md embeds")
	return func(_ context.Context, stdout, _ io.Writer) error {
		return gateway.WriteProviders(stdout, *markdown)
	}
}
