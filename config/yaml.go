package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// StringList is one string or a list of them in YAML.
type StringList []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	var s Sources
	if err := s.UnmarshalYAML(n); err != nil {
		return err
	}
	*l = StringList(s)
	return nil
}

// Duration is a time.Duration written as "90s" or "168h" in YAML.
type Duration time.Duration

// UnmarshalYAML implements yaml.Unmarshaler.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (use a unit: 90s, 5m, 168h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// Sources is one source or a list of them in YAML.
type Sources []string

// UnmarshalYAML implements yaml.Unmarshaler.
func (s *Sources) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var one string
		if err := n.Decode(&one); err != nil {
			return err
		}
		*s = Sources{one}
		return nil
	}
	var many []string
	if err := n.Decode(&many); err != nil {
		return err
	}
	*s = many
	return nil
}
