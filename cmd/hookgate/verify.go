package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

func defineVerify(fs *flag.FlagSet) runFunc {
	var sf schemeFlags
	sf.register(fs)
	var publicKeys, audience stringsFlag
	fs.Var(&publicKeys, "public-key", "public `KEY` (repeatable; same as -secret)")
	fs.Var(&audience, "audience", "accepted token `AUDIENCE` (repeatable; same as -option audience=AUDIENCE)")
	jwksFile := fs.String("jwks", "", "JWKS `FILE` (same as -option jwks_file=FILE)")
	tolerance := fs.Duration("tolerance", 0, "replay window `DURATION` (default: the type's)")
	at := fs.String("at", "", "the clock, in `UNIX` seconds (default: now)")
	reqFile := fs.String("request", "", "request `FILE`: JSON {\"method\",\"url\",\"headers\",\"body\"} (required; - for stdin)")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *reqFile == "" {
			return fmt.Errorf("%w: -request FILE is required", errUsage)
		}
		sf.secrets = append(sf.secrets, publicKeys...)
		for _, a := range audience {
			sf.options = append(sf.options, "audience="+a)
		}
		if *jwksFile != "" {
			sf.options = append(sf.options, "jwks_file="+*jwksFile)
		}
		pc, _, err := sf.providerConfig()
		if err != nil {
			return err
		}
		if *tolerance != 0 {
			pc.Tolerance = config.Duration(*tolerance)
		}
		now, err := clock(*at)
		if err != nil {
			return err
		}
		req, err := loadRequestFile(*reqFile)
		if err != nil {
			return err
		}
		res, err := checkRequest(pc, req, now)
		if errors.Is(err, config.ErrInvalid) {
			return &exitError{2, "hookgate: " + err.Error()}
		}
		if err != nil {
			return &exitError{1, "invalid: " + err.Error()}
		}
		fmt.Fprintf(stdout, "valid: %s, secret %d matched\n", pc.Type, res.SecretIndex)
		if r := res.Response; r != nil {
			fmt.Fprintf(stdout, "handshake: answer %s with %s\n", r.ContentType, r.Body)
		}
		return nil
	}
}

// checkRequest verifies a request offline, with the clock at at. A nil
// error means valid; an error from verify means invalid and names the
// reason; config.ErrInvalid means unusable options.
func checkRequest(pc *config.Provider, r *verify.Request, at time.Time) (verify.Result, error) {
	v, err := pc.DryRunVerifier()
	if err != nil {
		return verify.Result{}, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	return v.Verify(r, at)
}
