package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/gateway"
)

func defineRoutes(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "config.yaml", "config `FILE` (its providers and routes)")
	provider := fs.String("provider", "", "the provider `NAME` (default: the one at the request's path)")
	reqFile := fs.String("request", "", "request `FILE`: JSON {\"method\",\"url\",\"headers\",\"body\"} (required; - for stdin)")
	at := fs.String("at", "", "the clock for the signature check, in `UNIX` seconds (default: now)")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *reqFile == "" {
			return fmt.Errorf("%w: -request FILE is required", errUsage)
		}
		now, err := clock(*at)
		if err != nil {
			return err
		}
		cfg, err := config.Load(*path)
		if err != nil {
			return err
		}
		req, err := loadRequestFile(*reqFile)
		if err != nil {
			return err
		}
		ex, err := gateway.Explain(cfg, *provider, req, now)
		if errors.Is(err, config.ErrInvalid) {
			return &exitError{2, "hookgate: " + err.Error()}
		}
		if err != nil {
			return &exitError{1, "hookgate: " + err.Error()}
		}
		writeExplanation(stdout, ex)
		return nil
	}
}

// writeExplanation prints what the gateway would forward for a request.
func writeExplanation(w io.Writer, ex *gateway.Explanation) {
	fmt.Fprintf(w, "provider:  %s\n", ex.Provider)
	if ex.Verified != nil {
		fmt.Fprintf(w, "signature: INVALID (%v); the gateway would answer it with an error; what follows is what a valid one would give\n", ex.Verified)
	} else {
		fmt.Fprintln(w, "signature: valid")
	}
	if ex.ID == "" && ex.Messages == nil && ex.Verified == nil {
		fmt.Fprintln(w, "a handshake: answered, not forwarded")
		return
	}
	fmt.Fprintf(w, "event:     %s (type %s)\n", ex.ID, ex.Type)
	for _, e := range ex.Errors {
		fmt.Fprintf(w, "route error (no match): %s\n", e)
	}
	if len(ex.Matches) == 0 {
		fmt.Fprintln(w, "routes:    none matched")
	} else {
		fmt.Fprintf(w, "routes:    %v matched\n", ex.Matches)
	}
	if ex.Dropped != "" {
		fmt.Fprintf(w, "dropped by route %s: nothing is forwarded (the request is still answered 202)\n", ex.Dropped)
		return
	}
	for i, m := range ex.Messages {
		fmt.Fprintf(w, "\nmessage %d: %s\nNats-Msg-Id: %s\n", i+1, m.Subject, m.ID)
		for _, k := range slices.Sorted(maps.Keys(m.Header)) {
			for _, v := range m.Header[k] {
				fmt.Fprintf(w, "%s: %s\n", k, v)
			}
		}
		fmt.Fprintf(w, "body (%d bytes): %s\n", len(m.Body), clipBody(m.Body))
	}
}

// clipBody is a body for a terminal: its first 512 bytes.
func clipBody(b []byte) string {
	if len(b) > 512 {
		return string(b[:512]) + "..."
	}
	return string(b)
}
