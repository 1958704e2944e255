package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"hookgate/verify"
)

// ErrRequestFile means a captured request file cannot be used.
var ErrRequestFile = errors.New("gateway: unusable request file")

// CapturedRequest is the JSON form of one request, as `hookgate verify`
// reads it and `hookgate sign` writes it: the objects of the shared vector
// catalogue have these fields (and others, which are ignored). Body is the
// exact request body as a string.
type CapturedRequest struct {
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// ReadCapturedRequest decodes a captured request. Method defaults to POST.
func ReadCapturedRequest(r io.Reader) (*verify.Request, error) {
	var c CapturedRequest
	dec := json.NewDecoder(r)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRequestFile, err)
	}
	if c.Method == "" {
		c.Method = http.MethodPost
	}
	h := make(http.Header, len(c.Headers))
	for k, v := range c.Headers {
		h.Add(k, v)
	}
	return &verify.Request{Method: c.Method, URL: c.URL, Header: h, Body: []byte(c.Body)}, nil
}

// WriteCapturedRequest writes r as an indented CapturedRequest.
func WriteCapturedRequest(w io.Writer, r *verify.Request) error {
	c := CapturedRequest{Method: r.Method, URL: r.URL, Headers: map[string]string{}, Body: string(r.Body)}
	for k, vs := range r.Header {
		c.Headers[k] = strings.Join(vs, ", ")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c)
}

// WriteCurl writes r as a curl command line.
func WriteCurl(w io.Writer, r *verify.Request) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "curl -sS -X %s %s", r.Method, shellQuote(r.URL))
	for _, k := range sortedKeys(r.Header) {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, " \\\n  -H %s", shellQuote(k+": "+v))
		}
	}
	fmt.Fprintf(&b, " \\\n  --data-binary %s\n", shellQuote(string(r.Body)))
	_, err := w.Write(b.Bytes())
	return err
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ParseOptionFlags turns "key=value" pairs (the --option flags of
// `hookgate verify` and `sign`) into scheme options, with the names and
// checks of a provider's `options` block. A key given twice makes a list.
func ParseOptionFlags(pairs []string) (SchemeOptions, error) {
	var so SchemeOptions
	if len(pairs) == 0 {
		return so, nil
	}
	m := map[string][]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return so, fmt.Errorf("%w: option %q is not key=value", ErrConfig, p)
		}
		var val any = v
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			val = n
		}
		m[k] = append(m[k], val)
	}
	doc := map[string]any{}
	keys := make([]string, 0, len(m))
	for k, vs := range m {
		keys = append(keys, k)
		if len(vs) == 1 {
			doc[k] = vs[0]
		} else {
			doc[k] = vs
		}
	}
	sort.Strings(keys)
	b, err := yaml.Marshal(doc)
	if err != nil {
		return so, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&so); err != nil {
		return so, fmt.Errorf("%w: options %s: %w", ErrConfig, strings.Join(keys, ", "), err)
	}
	return so, nil
}

// CheckRequest verifies a captured request offline, with the clock at at.
// A nil error means valid; an error from verify means invalid and names the
// reason; ErrConfig and verify.ErrConfig/ErrUnknownType mean unusable
// options.
func CheckRequest(pc *ProviderConfig, r *verify.Request, at time.Time) (verify.Result, error) {
	v, err := pc.Verifier()
	if err != nil {
		return verify.Result{}, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return v.Verify(r, at)
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
