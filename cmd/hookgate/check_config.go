package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
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
		for i, p := range cfg.Providers {
			if note := unsignedIDNote(p); note != "" {
				fmt.Fprintf(stdout, "note: providers[%d] (%s): %s\n", i, p.Name, note)
			}
		}
		return nil
	}
}

// unsignedIDNote is a word for a provider whose preset signs the body but
// takes the event ID from a header the signature does not cover (GitHub's
// X-GitHub-Delivery), without dedupe.body_hash: a captured request could
// be sent again under a new ID. Empty when there is nothing to say.
func unsignedIDNote(p config.Provider) string {
	pr, ok := verify.Lookup(p.Type)
	if !ok || pr.IDSigned() || pr.BodyUnsigned || p.Identify.EventID != "" || p.Dedupe.BodyHash {
		return ""
	}
	return fmt.Sprintf("the event ID (%s) is not covered by %s's signature: a captured request sent again under a new ID would be forwarded again; dedupe.body_hash: true catches it", pr.EventID, p.Type)
}
