package main

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/gateway"
)

// stringsFlag is a repeatable string flag.
type stringsFlag []string

func (f *stringsFlag) String() string     { return strings.Join(*f, ",") }
func (f *stringsFlag) Set(v string) error { *f = append(*f, v); return nil }

// gatewayFlag is the flag for a running gateway's base URL (the provider's
// path is appended to it), the same in every command that takes one.
func gatewayFlag(fs *flag.FlagSet, usage string) *string {
	return fs.String("gateway", "", "the gateway's base `URL`, e.g. http://127.0.0.1:8080 "+usage)
}

// schemeFlags are the flags that configure a scheme without a config file,
// shared by verify and sign.
type schemeFlags struct {
	config, provider, typ string
	secrets, options      stringsFlag
}

func (sf *schemeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.config, "config", "", "config `FILE` (with -provider, instead of -type and the key flags)")
	fs.StringVar(&sf.provider, "provider", "", "provider `NAME` in -config")
	fs.StringVar(&sf.typ, "type", "", "provider `TYPE` (see hookgate providers)")
	fs.Var(&sf.secrets, "secret", "the provider's `SECRET`, key or trust anchor (repeatable; tried in order)")
	fs.Var(&sf.options, "option", "scheme option `KEY=VALUE`, as in a provider's options block (repeatable)")
}

// providerConfig builds the provider from -config/-provider, or from -type
// and the key flags. Problems are usage errors (exit 2), but for a config
// that does not load, a failure (exit 1) as in every command.
func (sf *schemeFlags) providerConfig() (*config.Provider, *config.Config, error) {
	if sf.config != "" {
		if sf.provider == "" || sf.typ != "" || len(sf.secrets) > 0 || len(sf.options) > 0 {
			return nil, nil, fmt.Errorf("%w: -config takes -provider, and no -type, -secret or -option", errUsage)
		}
		cfg, err := config.Load(sf.config)
		if err != nil {
			return nil, nil, err
		}
		pc, err := cfg.Provider(sf.provider)
		if err != nil {
			return nil, nil, &exitError{2, "hookgate: " + err.Error()}
		}
		return pc, cfg, nil
	}
	if sf.typ == "" {
		return nil, nil, fmt.Errorf("%w: give -type TYPE, or -config FILE -provider NAME", errUsage)
	}
	so, err := parseOptions(sf.options)
	if err != nil {
		return nil, nil, &exitError{2, "hookgate: " + err.Error()}
	}
	pc := &config.Provider{Name: "cli", Type: sf.typ, Options: so}
	for _, s := range sf.secrets {
		pc.Secrets = append(pc.Secrets, config.Secret{Value: s})
	}
	return pc, nil, nil
}

// clock returns the time of -at (unix seconds), or now.
func clock(at string) (time.Time, error) {
	if at == "" {
		return time.Now(), nil
	}
	n, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: -at %q is not unix seconds", errUsage, at)
	}
	return time.Unix(n, 0), nil
}

// queryFlags are the archive filters of events and replay. The
// function it returns reads them into a Query once they are parsed.
func queryFlags(fs *flag.FlagSet, forReplay bool) func() (gateway.Query, error) {
	vals := map[string]*string{}
	str := func(name, usage string) { vals[name] = fs.String(name, "", usage) }
	str("provider", "only events of the provider `NAME`")
	str("id", "only the event with the provider's event `ID`")
	str("since", "only events received at or after `TIME` (RFC 3339 or unix seconds)")
	str("until", "only events received before `TIME` (RFC 3339 or unix seconds)")
	if forReplay {
		str("limit", "replay at most the `N` oldest matching events (default: every match)")
	} else {
		str("status", "only events with this `STATUS`, one of: "+strings.Join(gateway.EventStatuses, ", "))
		str("limit", "list at most `N` events, newest first (default 100)")
	}
	return func() (gateway.Query, error) {
		q, err := gateway.EventQuery(func(k string) string {
			if v, ok := vals[k]; ok && (k != "limit" || !forReplay) {
				return *v
			}
			return ""
		})
		if err != nil {
			return q, fmt.Errorf("%w: %w", errUsage, err)
		}
		// A listing's page is at most 1000 events; a replay's limit is
		// any count.
		if v := *vals["limit"]; forReplay && v != "" {
			if q.Limit, err = strconv.Atoi(v); err != nil || q.Limit <= 0 {
				return q, fmt.Errorf("%w: -limit: %q is not a positive number", errUsage, v)
			}
		}
		return q, nil
	}
}

// parseOptions turns the "key=value" pairs of -option into scheme options,
// with the names and checks of a provider's options block. A key given
// twice makes a list. An error wraps config.ErrInvalid.
func parseOptions(pairs []string) (config.SchemeOptions, error) {
	var so config.SchemeOptions
	if len(pairs) == 0 {
		return so, nil
	}
	m := map[string][]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return so, fmt.Errorf("%w: option %q is not key=value", config.ErrInvalid, p)
		}
		var val any = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			val = n
		}
		m[k] = append(m[k], val)
	}
	doc := map[string]any{}
	for k, vs := range m {
		if len(vs) == 1 {
			doc[k] = vs[0]
		} else {
			doc[k] = vs
		}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return so, fmt.Errorf("%w: %w", config.ErrInvalid, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&so); err != nil {
		return so, fmt.Errorf("%w: options %s: %w", config.ErrInvalid, strings.Join(slices.Sorted(maps.Keys(m)), ", "), err)
	}
	return so, nil
}
