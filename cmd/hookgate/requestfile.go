package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hookgate/hookgate/verify"
)

// A request file is the JSON form of one request: `hookgate verify` reads
// it, `hookgate sign` and `hookgate quarantine -id` write it.

// errRequestFile means a request file cannot be used.
var errRequestFile = errors.New("unusable request file")

// requestFile is a request file's JSON: the objects of the shared vector
// catalogue have these fields (and others, which are ignored). Body is the
// exact request body as a string; a body that is not UTF-8 (which a JSON
// string cannot hold byte for byte) is in BodyBase64 instead.
type requestFile struct {
	Method     string            `json:"method,omitempty"`
	URL        string            `json:"url,omitempty"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
	BodyBase64 string            `json:"body_base64,omitempty"`
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
	body := []byte(c.Body)
	if c.BodyBase64 != "" {
		if c.Body != "" {
			return nil, fmt.Errorf("%w: both body and body_base64 are set", errRequestFile)
		}
		var err error
		if body, err = base64.StdEncoding.DecodeString(c.BodyBase64); err != nil {
			return nil, fmt.Errorf("%w: body_base64: %w", errRequestFile, err)
		}
	}
	return &verify.Request{Method: c.Method, URL: c.URL, Header: h, Body: body}, nil
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
	if !utf8.Valid(r.Body) {
		c.Body, c.BodyBase64 = "", base64.StdEncoding.EncodeToString(r.Body)
	}
	for k, vs := range r.Header {
		c.Headers[k] = strings.Join(vs, ", ")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(c)
}
