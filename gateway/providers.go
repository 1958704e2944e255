package gateway

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hookgate/verify"
)

// Provider returns the named provider of c.
func (c *Config) Provider(name string) (*ProviderConfig, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no provider named %q", ErrConfig, name)
}

// CredentialHeaders lists the request headers of pc's requests that carry
// a credential: the quarantine keeps them as "[redacted]", and `hookgate
// send` prints them so (package sender).
func (pc *ProviderConfig) CredentialHeaders() []string {
	preset, _ := verify.Lookup(pc.Type)
	return credentialHeaders(preset, pc.Options.Header)
}

// WriteProviders lists the preset catalogue: as aligned text, or as the
// Markdown table that README.md embeds (a test keeps the two identical).
func WriteProviders(w io.Writer, markdown bool) error {
	presets := verify.Presets()
	if markdown {
		fmt.Fprintln(w, "| type | scheme | signature headers | tolerance | event ID | event type | options | notes |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		for _, p := range presets {
			name := "`" + p.Name + "`"
			if len(p.Aliases) > 0 {
				name += " (" + code(p.Aliases, ", ") + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				name, p.Scheme, orDash(code(p.Headers, ", ")), tolerance(p), orDash(code(nonEmpty(p.EventID), "")),
				orDash(code(p.EventType, " + ")), orDash(code(p.Options, ", ")), mdEscape.Replace(p.Description))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tALIASES\tSCHEME\tTOLERANCE\tEVENT ID\tEVENT TYPE\tOPTIONS")
	for _, p := range presets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, orDash(strings.Join(p.Aliases, ", ")), p.Scheme, tolerance(p),
			orDash(p.EventID), orDash(strings.Join(p.EventType, " + ")), orDash(strings.Join(p.Options, ", ")))
	}
	return tw.Flush()
}

var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

func tolerance(p verify.Preset) string {
	if p.Tolerance == 0 {
		return "-"
	}
	return p.Tolerance.String()
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func code(ss []string, sep string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, sep)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
