package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Secret is a shared secret or key. In YAML it is a string, or a mapping
// with value or file, and optionally not_after: the time after which it is
// no longer accepted (the old secret of a rotation).
//
// File names a file that holds the secret (a mounted Kubernetes or Docker
// secret): Validate reads it, with one trailing newline (\n or \r\n)
// trimmed, into Value, so that every Load (at start and on each
// reload) reads it again. Its content never appears in an error.
type Secret struct {
	Value    string    `yaml:"value"`
	File     string    `yaml:"file"`
	NotAfter time.Time `yaml:"not_after"`
}

// String keeps the secret out of anything that prints a config with fmt
// or log/slog.
func (s Secret) String() string {
	if s.File != "" {
		return "[secret from file " + s.File + "]"
	}
	return "[secret]"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return s.String() }

// UnmarshalYAML implements yaml.Unmarshaler. A mapping takes only the keys
// value or file (one of them) and not_after: a misspelt not_after would
// otherwise leave the old secret of a rotation accepted for ever.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = Secret{}
		return n.Decode(&s.Value)
	}
	if err := checkSecretNode(n); err != nil {
		return err
	}
	type plain Secret // without this method
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*s = Secret(p)
	return nil
}

// maxSecretFile bounds the size of a secret file: a secret or a PEM bundle
// is far smaller, and a path pointing at a large file by mistake must not
// be read whole.
const maxSecretFile = 64 << 10

// load reads the secret's file, if it has one, into Value. Its errors name
// the file, never its content.
func (s *Secret) load() error {
	if s.File == "" {
		return nil
	}
	var err error
	s.Value, err = readSecretFile(s.File)
	return err
}

// readSecretFile reads a secret from the regular file at path (a symbolic
// link to one, as Kubernetes mounts them, is followed), trimming one
// trailing newline. An empty secret is an error.
func readSecretFile(path string) (string, error) {
	where := fmt.Sprintf("file %q", path)
	fail := func(err error) (string, error) {
		if pe, ok := errors.AsType[*fs.PathError](err); ok {
			err = pe.Err // the path is already named
		}
		return "", fmt.Errorf("%s: %w", where, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fail(err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file", where)
	}
	f, err := os.Open(path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return fail(err)
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d bytes, too large for a secret", where, maxSecretFile)
	}
	v := string(b)
	if t, ok := strings.CutSuffix(v, "\n"); ok {
		v = strings.TrimSuffix(t, "\r")
	}
	if v == "" {
		return "", fmt.Errorf("%s is empty", where)
	}
	return v, nil
}

// checkSecretNode checks the keys of a secret written as a mapping. The
// strict decoder of Read does not reach inside a type with its own
// UnmarshalYAML, so Secret checks them itself. Its errors name keys and
// lines, never a value.
func checkSecretNode(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode, yaml.AliasNode:
		return nil
	case yaml.MappingNode:
	default:
		return fmt.Errorf("line %d: a secret is a string, or a mapping with value or file", n.Line)
	}
	var sources []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k, v := n.Content[i], n.Content[i+1]; k.Value {
		case "value", "file":
			sources = append(sources, k.Value)
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: %s must be a string", v.Line, k.Value)
			}
		case "not_after":
		default:
			return fmt.Errorf("line %d: unknown key %q (a secret mapping takes value or file, and not_after)", k.Line, k.Value)
		}
	}
	switch len(sources) {
	case 0:
		return fmt.Errorf("line %d: a secret mapping needs value or file", n.Line)
	case 1:
		return nil
	}
	return fmt.Errorf("line %d: a secret mapping takes value or file, not both", n.Line)
}

// checkSecretKeys checks, in the document as written, the shape of every
// providers[i].secrets (a list whose entries checkSecretNode accepts) and
// of admin.auth.keys (a list of strings), so that an error names the
// field and the line of the file (the tree Read re-encodes has lost
// blank lines, and with them the line numbers) and never quotes a value,
// as the decoder's type errors would.
func checkSecretKeys(doc *yaml.Node) error {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var errs []error
	bad := func(field string, err error) {
		errs = append(errs, fmt.Errorf("%w: %s: %w", ErrInvalid, field, err))
	}
	// list checks that n is a list (or null), and each entry with check.
	list := func(field string, n *yaml.Node, what string, check func(*yaml.Node) error) {
		switch {
		case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null", n.Kind == yaml.AliasNode:
			return
		case n.Kind != yaml.SequenceNode:
			bad(field, fmt.Errorf("line %d: must be a list of %s", n.Line, what))
			return
		}
		for j, e := range n.Content {
			if err := check(e); err != nil {
				bad(fmt.Sprintf("%s[%d]", field, j), err)
			}
		}
	}
	for _, p := range mappingValues(root, "providers") {
		if p.Kind != yaml.SequenceNode {
			continue
		}
		for i, prov := range p.Content {
			where := fmt.Sprintf("providers[%d]", i)
			for _, name := range mappingValues(prov, "name") {
				if name.Kind == yaml.ScalarNode && name.Value != "" {
					where += " (" + name.Value + ")"
				}
			}
			for _, secrets := range mappingValues(prov, "secrets") {
				list(where+".secrets", secrets, "secrets (strings, or mappings with value or file)", checkSecretNode)
			}
		}
	}
	for _, admin := range mappingValues(root, "admin") {
		for _, auth := range mappingValues(admin, "auth") {
			for _, keys := range mappingValues(auth, "keys") {
				list("admin.auth.keys", keys, "strings", func(n *yaml.Node) error {
					if n.Kind != yaml.ScalarNode && n.Kind != yaml.AliasNode {
						return fmt.Errorf("line %d: a key is a string", n.Line)
					}
					return nil
				})
			}
		}
	}
	return errors.Join(errs...)
}

// mappingValues returns the values of key in the mapping n (none if n is
// not a mapping).
func mappingValues(n *yaml.Node, key string) []*yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	var vs []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			vs = append(vs, n.Content[i+1])
		}
	}
	return vs
}
