// Package sender builds the requests a provider would send to the gateway,
// signed with the provider's first secret (or private key), and sends
// them: `hookgate send` and `hookgate sign` print or post them, and the
// benchmark makes its load with them.
package sender

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/sjson"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/verify"
)

// Event describes the event Request makes. Empty fields get defaults: a
// random ID, type "hookgate.test", and a small JSON body.
type Event struct {
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

// BaseURL is where a local client reaches cfg's public listener: the
// listen address, with a wildcard host replaced by 127.0.0.1. A listen
// address that does not parse is an error wrapping config.ErrInvalid.
func BaseURL(cfg *config.Config) (string, error) {
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return "", fmt.Errorf("%w: listen: %w", config.ErrInvalid, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	scheme := "http"
	if cfg.HTTP.TLS.CertFile != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port), nil
}

// Request builds a request for the provider pc at baseURL + its path,
// carrying ev where the provider's identify settings look for it, and
// signed at now with the provider's first secret (or private key) as the
// provider would sign it. An unknown type, or secrets or options the
// scheme cannot sign with, are errors wrapping config.ErrInvalid.
func Request(pc *config.Provider, baseURL string, ev Event, now time.Time) (*verify.Request, error) {
	preset, ok := verify.Lookup(pc.Type)
	if !ok {
		return nil, fmt.Errorf("%w: unknown type %q", config.ErrInvalid, pc.Type)
	}
	ev = defaults(pc, ev, now)

	idSrc := preset.EventID
	if pc.Identify.EventID != "" {
		idSrc = pc.Identify.EventID
	}
	typeSrcs := preset.EventType
	if len(pc.Identify.EventType) > 0 {
		typeSrcs = pc.Identify.EventType
	}
	if idSrc == "" {
		// The provider's events carry no ID: the gateway takes the body's
		// hash. The ID goes into the generated body, so that two IDs are
		// two events and one sent twice is a duplicate.
		idSrc = bodyIDField
	}
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
	body, err := place(pc, header, ev, fields)
	if err != nil {
		return nil, err
	}

	url := strings.TrimSuffix(baseURL, "/") + pc.Path
	vr := &verify.Request{Method: http.MethodPost, URL: url, Header: header, Body: body}
	o, err := pc.VerifyOptions()
	if err != nil {
		return nil, err
	}
	if err := verify.Sign(pc.Type, vr, o, now); err != nil {
		if errors.Is(err, verify.ErrConfig) { // unusable secrets or options, as for verify
			return nil, fmt.Errorf("%w: sign for provider %s: %w", config.ErrInvalid, pc.Name, err)
		}
		return nil, fmt.Errorf("sender: sign for provider %s: %w", pc.Name, err)
	}
	return vr, nil
}

// bodyIDField is where a generated body holds the event's ID for a
// provider whose events have none.
const bodyIDField = "hookgate_event_id"

// defaults fills ev's empty fields. The default version follows the
// provider's ordering format, so that a later event with an explicit
// version in that format compares with it.
func defaults(pc *config.Provider, ev Event, now time.Time) Event {
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
	return ev
}

// field is a value and where the provider reads it: "header:NAME" or a
// JSON path in the body.
type field struct{ src, value string }

// place puts each field in its header, or at its JSON path in a generated
// body, and returns the body: ev.Body as it is, when set.
func place(pc *config.Provider, header http.Header, ev Event, fields []field) ([]byte, error) {
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
			return nil, fmt.Errorf("sender: cannot place %q at JSON path %q: %w (pass a body instead)", f.value, f.src, err)
		}
	}
	return body, nil
}

// redactSecrets returns body with every secret of pc in it written
// "[redacted]": a scheme may carry its token in the body (Microsoft Graph's
// clientState).
func redactSecrets(body []byte, pc *config.Provider) []byte {
	for _, s := range pc.Secrets {
		if s.Value != "" && bytes.Contains(body, []byte(s.Value)) {
			body = bytes.ReplaceAll(body, []byte(s.Value), []byte("[redacted]"))
		}
	}
	return body
}

// Send builds a request for the provider called name with Request, posts
// it to baseURL (empty: the config's listen address, see BaseURL), and
// writes the request and the response to w. The headers that carry a
// credential (config.Provider.CredentialHeaders), the URL's query
// parameters that do (config.Provider.CredentialParams) and the secrets
// found in the body are written as "[redacted]": the output goes to
// terminals and CI logs. The caller
// closes nothing: the response's body is read and closed.
func Send(ctx context.Context, cfg *config.Config, name, baseURL string, ev Event, w io.Writer) (*http.Response, error) {
	pc, err := cfg.Provider(name)
	if err != nil {
		return nil, err
	}
	if baseURL == "" {
		if baseURL, err = BaseURL(cfg); err != nil {
			return nil, err
		}
	}
	vr, err := Request(pc, baseURL, ev, time.Now())
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, vr.Method, vr.URL, bytes.NewReader(vr.Body))
	if err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	req.Header = vr.Header
	shown := verify.Redact(vr.Header, pc.CredentialHeaders())
	fmt.Fprintf(w, "%s %s\n", vr.Method, verify.RedactQuery(vr.URL, pc.CredentialParams()))
	for _, k := range slices.Sorted(maps.Keys(shown)) {
		for _, v := range shown[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\n%s\n\n", redactSecrets(vr.Body, pc))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sender: send: %w", err)
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(w, "%s\n%s\n", resp.Status, bytes.TrimSpace(rb))
	return resp, nil
}
