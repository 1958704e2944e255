package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime/debug"
)

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

func defineVersion(*flag.FlagSet) runFunc {
	return func(_ context.Context, stdout, _ io.Writer) error {
		fmt.Fprintln(stdout, "hookgate", version())
		return nil
	}
}
