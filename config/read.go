package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads, expands and validates the file at path.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer f.Close()
	c, err := Read(f, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Read decodes YAML from r strictly (unknown keys are errors) after
// expanding ${VAR} references in values with lookup. Comments are not
// expanded, and a value may hold any bytes (a PEM key, say). A reference to
// an unset variable is an error naming it and its line. The result is not
// validated.
func Read(r io.Reader, lookup func(string) (string, bool)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	refs := envRefNodes(&doc)
	if err := errors.Join(checkSecretKeys(&doc), expandEnv(&doc, lookup)); err != nil {
		return nil, err
	}
	// Re-encode the expanded tree so that a strict decoder can reject
	// unknown keys (yaml.Node.Decode has no strict mode).
	expanded, err := yaml.Marshal(&doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, hideValues(err.Error(), sensitiveValues(&doc, refs)))
	}
	return &c, nil
}

// envRefNodes returns the scalar values of the tree that hold a ${VAR}
// reference, before expandEnv replaces it.
func envRefNodes(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		out = append(out, n)
	}
	for i, c := range n.Content {
		if n.Kind == yaml.MappingNode && i%2 == 0 {
			continue // keys are not expanded
		}
		out = append(out, envRefNodes(c)...)
	}
	return out
}

// sensitiveValues returns the values a decoding error must not show: those
// of expanded ${VAR} references (refs, any of which may be a secret), and
// every scalar under providers[].secrets, providers[].options.verify_token
// and admin.auth.keys.
func sensitiveValues(doc *yaml.Node, refs []*yaml.Node) []string {
	var out []string
	var all func(n *yaml.Node)
	all = func(n *yaml.Node) {
		if n.Kind == yaml.ScalarNode {
			out = append(out, n.Value)
		}
		for _, c := range n.Content {
			all(c)
		}
	}
	for _, r := range refs {
		all(r)
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	for _, ps := range mappingValues(root, "providers") {
		for _, p := range ps.Content {
			for _, n := range mappingValues(p, "secrets") {
				all(n)
			}
			for _, o := range mappingValues(p, "options") {
				for _, n := range mappingValues(o, "verify_token") {
					all(n)
				}
			}
		}
	}
	for _, a := range mappingValues(root, "admin") {
		for _, auth := range mappingValues(a, "auth") {
			for _, n := range mappingValues(auth, "keys") {
				all(n)
			}
		}
	}
	return out
}

// hideValues replaces in msg, a decoding error, each of values as the
// decoder and this package's unmarshalers quote it: whole in backquotes,
// cut to its first 7 bytes in backquotes when longer than 10, and in Go
// quotes.
func hideValues(msg string, values []string) string {
	const hidden = "(value not shown)"
	for _, v := range values {
		if v == "" {
			continue
		}
		quoted := []string{"`" + v + "`", strconv.Quote(v)}
		if len(v) > 10 {
			quoted = append(quoted, "`"+v[:7]+"...`")
		}
		for _, q := range quoted {
			msg = strings.ReplaceAll(msg, q, hidden)
		}
	}
	return msg
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${VAR} in every scalar value of the tree.
func expandEnv(n *yaml.Node, lookup func(string) (string, bool)) error {
	var missing []error
	var walk func(n *yaml.Node, isKey bool)
	walk = func(n *yaml.Node, isKey bool) {
		if n.Kind == yaml.ScalarNode && !isKey && strings.Contains(n.Value, "${") {
			n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
				name := ref[2 : len(ref)-1]
				v, ok := lookup(name)
				if !ok {
					missing = append(missing, fmt.Errorf("%w: line %d: environment variable %s is not set", ErrInvalid, n.Line, name))
				}
				return v
			})
			if n.Style == 0 && isNumber(n.Value) {
				n.Tag = "" // let an expanded ${PORT} decode as a number
			} else {
				n.Tag = "!!str"
			}
		}
		for i, c := range n.Content {
			walk(c, n.Kind == yaml.MappingNode && i%2 == 0)
		}
	}
	walk(n, false)
	return errors.Join(missing...)
}

func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
