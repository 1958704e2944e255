package gateway

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"hookgate/verify"
)

// WriteProviders lists the preset catalogue: as aligned text, or as the
// Markdown table that README.md embeds (a test keeps the two identical).
func WriteProviders(w io.Writer, markdown bool) error {
	presets := verify.Presets()
	if markdown {
		fmt.Fprintln(w, "| type | scheme | signature headers | tolerance | event ID | event type | notes |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
		for _, p := range presets {
			fmt.Fprintf(w, "| `%s` | %s | %s | %s | %s | %s | %s |\n",
				p.Name, p.Scheme, orDash(code(p.Headers, ", ")), tolerance(p), orDash(code(nonEmpty(p.EventID), "")),
				orDash(code(p.EventType, " + ")), mdEscape.Replace(p.Description))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tSCHEME\tTOLERANCE\tEVENT ID\tEVENT TYPE\tHEADERS")
	for _, p := range presets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Scheme, tolerance(p),
			orDash(p.EventID), orDash(strings.Join(p.EventType, " + ")), orDash(strings.Join(p.Headers, ", ")))
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
