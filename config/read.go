package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
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

// LoadClient reads the file at path for a command that reads the stream
// beside the gateway (tail, deliver): it keeps, expands and validates
// only what such a command uses, the nats section and the deliveries
// (with the providers' names and pass_headers, which the deliveries'
// headers are checked against). The rest is neither expanded nor checked:
// the providers' secrets (their ${VAR} references and files), http.tls,
// admin.auth and the other sections of the gateway itself, so that these
// commands run where those secrets are not (as none of them reads
// nats.sign's key). Validate would refuse the result (no provider
// types); call ValidateClient after a change.
func LoadClient(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	defer f.Close()
	c, err := read(f, os.LookupEnv, clientOnly)
	if err != nil {
		return nil, err
	}
	if err := c.ValidateClient(); err != nil {
		return nil, err
	}
	return c, nil
}

// clientOnly prunes a config's tree to what LoadClient keeps: nats (but
// nats.sign.key_file, which only the gateway reads), deliveries, and each
// provider's name and pass_headers. Aliases are resolved first, so that a
// kept value may alias an anchor of a pruned one. A top-level key that is
// no section of a config stays, for the strict decoder to refuse (a typo
// must not pass for an absent section). A tree of another shape is left
// as it is, for the decoder to refuse.
func clientOnly(doc *yaml.Node) {
	resolveAliases(doc, map[*yaml.Node]bool{})
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	dropKeys(root, gatewayOnly...)
	for _, ps := range mappingValues(root, "providers") {
		if ps.Kind != yaml.SequenceNode {
			continue
		}
		for _, p := range ps.Content {
			keepKeys(p, "name", "pass_headers")
		}
	}
	for _, n := range mappingValues(root, "nats") {
		for _, sign := range mappingValues(n, "sign") {
			dropKeys(sign, "key_file")
		}
	}
}

// gatewayOnly are the top-level sections of a config that LoadClient
// prunes: all but nats, deliveries and providers.
var gatewayOnly = func() []string {
	var keys []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if key != "" && key != "-" && key != "nats" && key != "deliveries" && key != "providers" {
			keys = append(keys, key)
		}
	}
	return keys
}()

// resolveAliases replaces each alias below n with a copy of the node it
// refers to (without its anchor). An alias met again inside the node it
// refers to stays, for the decoder to refuse.
func resolveAliases(n *yaml.Node, resolving map[*yaml.Node]bool) {
	for i, c := range n.Content {
		if c.Kind == yaml.AliasNode && c.Alias != nil && !resolving[c.Alias] {
			target := c.Alias
			cp := *target
			cp.Anchor = ""
			n.Content[i] = &cp
			resolving[target] = true
			resolveAliases(&cp, resolving)
			delete(resolving, target)
			continue
		}
		resolveAliases(c, resolving)
	}
}

// keepKeys removes from the mapping n every key (and its value) but keys.
func keepKeys(n *yaml.Node, keys ...string) {
	filterKeys(n, func(k string) bool { return slices.Contains(keys, k) })
}

// dropKeys removes keys (and their values) from the mapping n.
func dropKeys(n *yaml.Node, keys ...string) {
	filterKeys(n, func(k string) bool { return !slices.Contains(keys, k) })
}

// filterKeys keeps the members of the mapping n whose key keep takes.
func filterKeys(n *yaml.Node, keep func(string) bool) {
	if n.Kind != yaml.MappingNode {
		return
	}
	kept := n.Content[:0]
	for i := 0; i+1 < len(n.Content); i += 2 {
		if keep(n.Content[i].Value) {
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
	}
	n.Content = kept
}

// Read decodes YAML from r strictly (unknown keys are errors) after
// expanding ${VAR} references in values with lookup. Comments are not
// expanded, and a value may hold any bytes (a PEM key, say). A reference to
// an unset variable is an error naming it and its line. The result is not
// validated.
func Read(r io.Reader, lookup func(string) (string, bool)) (*Config, error) {
	return read(r, lookup, nil)
}

// read is Read, with the tree pruned by prune (when set) before anything
// is expanded.
func read(r io.Reader, lookup func(string) (string, bool), prune func(*yaml.Node)) (*Config, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the file is empty", ErrInvalid)
		}
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if prune != nil {
		prune(&doc)
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
