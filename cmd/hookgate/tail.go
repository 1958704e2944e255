package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"hookgate/gateway"
)

func defineTail(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "", "config `FILE` (takes the NATS address, stream and credentials from it)")
	var o gateway.TailOptions
	fs.StringVar(&o.URL, "nats", "", "NATS `URL` (default nats://127.0.0.1:4222)")
	fs.StringVar(&o.Stream, "stream", "", "read from the JetStream stream `NAME` (default: live messages only)")
	fs.BoolVar(&o.All, "all", false, "with -stream: start from the stream's first message")
	fs.IntVar(&o.Count, "count", 0, "exit after `N` messages")
	user := fs.String("user", "", "NATS `USER` (default with -config: the first of nats.users, or nats.user with nats.url)")
	password := fs.String("password", "", "NATS `PASSWORD` (default with -config and -user: that user's in nats.users)")
	return func(ctx context.Context, stdout, _ io.Writer) error {
		if fs.NArg() != 1 {
			return fmt.Errorf("%w: tail takes one SUBJECT (wildcards allowed, e.g. 'webhooks.>')", errUsage)
		}
		o.Subject = fs.Arg(0)
		switch {
		case *password != "" && *user == "":
			return fmt.Errorf("%w: -password needs -user", errUsage)
		case *user != "" && *password == "" && *path == "":
			return fmt.Errorf("%w: -user needs -password, or -config with the user in nats.users", errUsage)
		}
		if *path != "" {
			cfg, err := gateway.LoadConfig(*path)
			if err != nil {
				return err
			}
			if o.URL == "" {
				o.URL = cfg.NATSClientURL()
			}
			if o.Auth, err = cfg.ClientAuth(*user, *password); err != nil {
				return err
			}
		} else if *user != "" {
			o.Auth = gateway.NATSAuth{User: *user, Password: *password}
		}
		if o.URL == "" {
			o.URL = "nats://127.0.0.1:4222"
		}
		if o.All && o.Stream == "" {
			return fmt.Errorf("%w: -all needs -stream", errUsage)
		}
		return gateway.Tail(ctx, o, stdout)
	}
}
