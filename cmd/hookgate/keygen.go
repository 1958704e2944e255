package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/hookgate/hookgate/bussig"
)

func defineKeygen(fs *flag.FlagSet) runFunc {
	out := fs.String("out", "", "write the private key to `FILE` (for nats.sign.key_file) and the public key to FILE.pub (for consumers)")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *out == "" {
			return fmt.Errorf("%w: keygen needs -out FILE", errUsage)
		}
		id, err := bussig.GenerateKeyFiles(*out, *out+".pub")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "private key: %s (nats.sign.key_file; keep it on the gateway only)\npublic key:  %s.pub (for consumers)\nkey ID:      %s\n", *out, *out, id)
		return nil
	}
}
