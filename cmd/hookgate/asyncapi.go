package main

import (
	"context"
	"flag"
	"io"

	"github.com/hookgate/hookgate/asyncapi"
	"github.com/hookgate/hookgate/config"
)

func defineAsyncAPI(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its providers, routes and nats section)")
	asJSON := fs.Bool("json", false, "print JSON instead of YAML")
	return func(_ context.Context, stdout, _ io.Writer) error {
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		doc := asyncapi.New(cfg, asyncapi.Options{Version: version()})
		out, err := doc.YAML()
		if *asJSON {
			out, err = doc.JSON()
		}
		if err != nil {
			return err
		}
		_, err = stdout.Write(out)
		return err
	}
}
