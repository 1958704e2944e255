package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/sender"
	"github.com/hookgate/hookgate/verify"
)

func defineSign(fs *flag.FlagSet) runFunc {
	var sf schemeFlags
	sf.register(fs)
	base := gatewayFlag(fs, "(default: the config's listen address, or http://127.0.0.1:8080); the provider's path is appended")
	url := fs.String("url", "", "the whole request `URL`, instead of -gateway and the provider's path")
	var ev sender.Event
	fs.StringVar(&ev.ID, "id", "", "event `ID` (default: random)")
	fs.StringVar(&ev.Type, "event-type", "", "event `TYPE` (default: hookgate.test)")
	bodyFile := fs.String("body", "", "`FILE` with the exact body to sign")
	at := fs.String("at", "", "signing time, in `UNIX` seconds (default: now)")
	curl := fs.Bool("curl", false, "print a curl command instead of a request file")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *base != "" && *url != "" {
			return fmt.Errorf("%w: give -gateway or -url, not both", errUsage)
		}
		pc, cfg, err := sf.providerConfig()
		if err != nil {
			return err
		}
		now, err := clock(*at)
		if err != nil {
			return err
		}
		if last, ok := allExpired(pc.Secrets, now); ok {
			return &exitError{1, fmt.Sprintf("hookgate: every secret of provider %s is past its not_after (the last %s): the gateway refuses what they sign as \"secret expired\"; give -at before then, or add a secret in use",
				pc.Name, last.UTC().Format(time.RFC3339))}
		}
		if *bodyFile != "" {
			if ev.Body, err = os.ReadFile(*bodyFile); err != nil {
				return err
			}
		}
		if cfg == nil { // a -type provider has no path of its own
			pc.Path = "/webhooks/" + sf.typ
		}
		target := *base
		switch {
		case *url != "":
			target, pc.Path = *url, "" // the whole URL
		case target == "" && cfg != nil:
			if target, err = sender.BaseURL(cfg); err != nil {
				return err
			}
		case target == "":
			target = "http://127.0.0.1:8080"
		}
		r, err := sender.Request(pc, target, ev, now)
		if errors.Is(err, config.ErrInvalid) { // an unknown type or unusable options, as verify
			return &exitError{2, "hookgate: " + err.Error()}
		}
		if err != nil {
			return err
		}
		if *curl {
			if bytes.IndexByte(r.Body, 0) >= 0 {
				return fmt.Errorf("%w: the body holds a NUL byte, which no shell argument carries: leave out -curl for a request file", errUsage)
			}
			return writeCurl(stdout, r)
		}
		return writeRequestFile(stdout, r)
	}
}

// writeCurl writes r as a curl command line. The body goes as
// --data-raw, which curl sends as it is: --data-binary and -d read the
// file named by a body that starts with @.
func writeCurl(w io.Writer, r *verify.Request) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "curl -sS -X %s %s", r.Method, shellQuote(r.URL))
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, " \\\n  -H %s", shellQuote(k+": "+v))
		}
	}
	fmt.Fprintf(&b, " \\\n  --data-raw %s\n", shellQuote(string(r.Body)))
	_, err := w.Write(b.Bytes())
	return err
}

// allExpired reports whether every one of secrets (at least one) is past
// its not_after at now, and the latest of those times.
func allExpired(secrets []config.Secret, now time.Time) (last time.Time, ok bool) {
	for _, s := range secrets {
		if s.NotAfter.IsZero() || !now.After(s.NotAfter) {
			return time.Time{}, false
		}
		if s.NotAfter.After(last) {
			last = s.NotAfter
		}
	}
	return last, len(secrets) > 0
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
