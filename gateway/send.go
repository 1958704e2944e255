package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/sjson"

	"hookgate/verify"
)

// TestEvent describes the event TestRequest makes. Empty fields get
// defaults: a random ID, type "hookgate.test", and a small JSON body.
type TestEvent struct {
	ID   string
	Type string
	// Body, when set, is sent verbatim; only header sources (event ID or
	// type in a header) are then filled in.
	Body []byte
	// Entity and Version fill the ordering key and version when the
	// provider orders events. Defaults: "demo-entity" and the current time.
	Entity  string
	Version string
	// Pad adds a "pad" field of that many bytes to a generated body (for
	// benchmarks that want realistic sizes).
	Pad int
}

// Provider returns the named provider of c.
func (c *Config) Provider(name string) (*ProviderConfig, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no provider named %q", ErrConfig, name)
}

// BaseURL is where a local client reaches the public listener: the listen
// address, with a wildcard host replaced by 127.0.0.1.
func (c *Config) BaseURL() (string, error) {
	host, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return "", fmt.Errorf("%w: listen: %w", ErrConfig, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	if c.HTTP.TLS.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// TestRequest builds a request for the provider at baseURL + its path,
// carrying ev where the provider's identify settings look for it, and
// signed with the provider's first secret (or private key) as the provider
// would sign it.
func (pc *ProviderConfig) TestRequest(baseURL string, ev TestEvent, now time.Time) (*verify.Request, error) {
	preset, ok := verify.Lookup(pc.Type)
	if !ok {
		return nil, fmt.Errorf("%w: unknown type %q", ErrConfig, pc.Type)
	}
	if ev.ID == "" {
		var b [8]byte
		rand.Read(b[:])
		ev.ID = "evt_hookgate_" + hex.EncodeToString(b[:])
	}
	if ev.Type == "" {
		ev.Type = "hookgate.test"
	}
	if ev.Entity == "" {
		ev.Entity = "demo-entity"
	}
	if ev.Version == "" {
		switch pc.Ordering.Format {
		case "rfc3339":
			ev.Version = now.UTC().Format(time.RFC3339Nano)
		case "unix_ms": // seconds would read as a 1970 time, stale
			ev.Version = strconv.FormatInt(now.UnixMilli(), 10)
		default:
			ev.Version = strconv.FormatInt(now.Unix(), 10)
		}
	}

	idSrc := preset.EventID
	if pc.Identify.EventID != "" {
		idSrc = pc.Identify.EventID
	}
	typeSrcs := preset.EventType
	if len(pc.Identify.EventType) > 0 {
		typeSrcs = pc.Identify.EventType
	}
	type field struct{ src, value string }
	fields := []field{{idSrc, ev.ID}}
	if len(typeSrcs) > 0 {
		// The whole type goes to the first source; GitHub's ".action"
		// suffix and the like are simply absent.
		fields = append(fields, field{typeSrcs[0], ev.Type})
	}
	if pc.Ordering.Enabled() {
		fields = append(fields,
			field{pc.Ordering.Key, ev.Entity},
			field{pc.Ordering.Version, ev.Version})
	}

	header := http.Header{}
	header.Set("Content-Type", "application/json")
	header.Set("User-Agent", "hookgate-send")
	body := ev.Body
	custom := body != nil
	if !custom {
		body = []byte(`{"hookgate_test":true}`)
		if ev.Pad > 0 {
			body = fmt.Appendf(nil, `{"hookgate_test":true,"pad":"%s"}`, strings.Repeat("x", ev.Pad))
		}
	}
	for _, f := range fields {
		if f.src == "" {
			continue
		}
		if h, ok := strings.CutPrefix(f.src, "header:"); ok {
			header.Set(strings.TrimSpace(h), f.value)
			continue
		}
		if custom {
			continue
		}
		var err error
		if n, perr := strconv.ParseInt(f.value, 10, 64); perr == nil && f.src == pc.Ordering.Version {
			body, err = sjson.SetBytes(body, f.src, n)
		} else {
			body, err = sjson.SetBytes(body, f.src, f.value)
		}
		if err != nil {
			return nil, fmt.Errorf("gateway: cannot place %q at JSON path %q: %w (pass a body instead)", f.value, f.src, err)
		}
	}

	url := strings.TrimSuffix(baseURL, "/") + pc.Path
	vr := &verify.Request{Method: http.MethodPost, URL: url, Header: header, Body: body}
	o, err := pc.VerifyOptions()
	if err != nil {
		return nil, err
	}
	if err := verify.Sign(pc.Type, vr, o, now); err != nil {
		if errors.Is(err, verify.ErrConfig) { // unusable secrets or options, as for verify
			return nil, fmt.Errorf("%w: sign for provider %s: %w", ErrConfig, pc.Name, err)
		}
		return nil, fmt.Errorf("gateway: sign for provider %s: %w", pc.Name, err)
	}
	return vr, nil
}

// Send builds a test request for the named provider with TestRequest,
// posts it to baseURL (empty: the config's listen address), and writes the
// request and the response to w. The headers that carry a credential (see
// credentialHeaders) are written as "[redacted]".
func Send(ctx context.Context, cfg *Config, name, baseURL string, ev TestEvent, w io.Writer) (*http.Response, error) {
	pc, err := cfg.Provider(name)
	if err != nil {
		return nil, err
	}
	if baseURL == "" {
		if baseURL, err = cfg.BaseURL(); err != nil {
			return nil, err
		}
	}
	vr, err := pc.TestRequest(baseURL, ev, time.Now())
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, vr.Method, vr.URL, bytes.NewReader(vr.Body))
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	req.Header = vr.Header
	// What is printed leaves out the headers that carry a credential (a
	// token scheme's secret, a bearer token): the output goes to terminals
	// and CI logs.
	preset, _ := verify.Lookup(pc.Type)
	shown := redact(vr.Header, credentialHeaders(preset, pc.Options.Header))
	fmt.Fprintf(w, "%s %s\n", vr.Method, vr.URL)
	for _, k := range sortedKeys(shown) {
		for _, v := range shown[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\n%s\n\n", vr.Body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gateway: send: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(w, "%s\n%s\n", resp.Status, bytes.TrimSpace(rb))
	return resp, nil
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
