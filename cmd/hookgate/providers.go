package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hookgate/hookgate/verify"
)

func defineProviders(fs *flag.FlagSet) runFunc {
	markdown := fs.Bool("markdown", false, "print the Markdown table that README.md embeds")
	return func(_ context.Context, stdout, _ io.Writer) error {
		return writeProviders(stdout, *markdown)
	}
}

// writeProviders lists the preset catalogue: as aligned text, or as the
// Markdown table that README.md embeds (a test keeps the two identical).
func writeProviders(w io.Writer, markdown bool) error {
	presets := verify.Presets()
	if markdown {
		fmt.Fprintln(w, "| type | scheme | signature headers | tolerance | event ID | event type | options | notes |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		for _, p := range presets {
			name := "`" + p.Name + "`"
			if len(p.Aliases) > 0 {
				name += " (" + codeSpans(p.Aliases, ", ") + ")"
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
				name, p.Scheme, orDash(codeSpans(p.Headers, ", ")), toleranceOf(p), orDash(codeSpans(nonEmpty(p.EventID), "")),
				orDash(codeSpans(p.EventType, " + ")), orDash(codeSpans(p.Options, ", ")), mdEscape.Replace(p.Description))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tALIASES\tSCHEME\tTOLERANCE\tEVENT ID\tEVENT TYPE\tOPTIONS")
	for _, p := range presets {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, orDash(strings.Join(p.Aliases, ", ")), p.Scheme, toleranceOf(p),
			orDash(p.EventID), orDash(strings.Join(p.EventType, " + ")), orDash(strings.Join(p.Options, ", ")))
	}
	return tw.Flush()
}

// mdEscape escapes a description for a Markdown table cell.
var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

// toleranceOf is a preset's replay window, or "-" without one.
func toleranceOf(p verify.Preset) string {
	if p.Tolerance == 0 {
		return "-"
	}
	return p.Tolerance.String()
}

// nonEmpty is s alone, or nothing when it is empty.
func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// codeSpans joins ss with sep, each as a Markdown code span.
func codeSpans(ss []string, sep string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, sep)
}

// orDash is s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
