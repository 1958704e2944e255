package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/hookgate/hookgate/verify"
)

// A request file is the JSON form of one request: `hookgate verify` reads
// it, `hookgate sign` and `hookgate quarantine -id` write it.

// errRequestFile means a request file cannot be used.
var errRequestFile = errors.New("unusable request file")

// requestFile is a request file's JSON: the objects of the shared vector
// catalogue have these fields (and others, which are ignored). Body is the
// exact request body as a string.
type requestFile struct {
	Method  string            `json:"method,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
}

// readRequestFile decodes a request file. Method defaults to POST. An
// error wraps errRequestFile.
func readRequestFile(r io.Reader) (*verify.Request, error) {
	var c requestFile
	dec := json.NewDecoder(r)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %w", errRequestFile, err)
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

// loadRequestFile reads the request file at path (- for stdin), for
// -request: a file that cannot be opened or read is an exitError with
// status 2.
func loadRequestFile(path string) (*verify.Request, error) {
	var in io.Reader = os.Stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, &exitError{2, "hookgate: " + err.Error()}
		}
		defer f.Close()
		in = f
	}
	req, err := readRequestFile(in)
	if err != nil {
		return nil, &exitError{2, "hookgate: " + err.Error()}
	}
	return req, nil
}

// writeRequestFile writes r as an indented request file.
func writeRequestFile(w io.Writer, r *verify.Request) error {
	c := requestFile{Method: r.Method, URL: r.URL, Headers: map[string]string{}, Body: string(r.Body)}
	for k, vs := range r.Header {
		c.Headers[k] = strings.Join(vs, ", ")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c)
}
