package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hookgate/hookgate/verify"
)

func defineProviders(fs *flag.FlagSet) runFunc {
	markdown := fs.Bool("markdown", false, "print the Markdown table that README.md embeds")
	asJSON := fs.Bool("json", false, "print the catalogue as JSON: every preset with its scheme, headers, tolerance and identify defaults")
	return func(_ context.Context, stdout, _ io.Writer) error {
		if *markdown && *asJSON {
			return fmt.Errorf("%w: -markdown or -json, not both", errUsage)
		}
		if *asJSON {
			return writeProvidersJSON(stdout)
		}
		return writeProviders(stdout, *markdown)
	}
}

// writeProvidersJSON prints the catalogue as a JSON array of verify.Info,
// in name order.
func writeProvidersJSON(w io.Writer) error {
	presets := verify.Presets()
	infos := make([]verify.Info, len(presets))
	for i, p := range presets {
		infos[i] = p.Info()
	}
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	e.SetEscapeHTML(false)
	return e.Encode(infos)
}

// writeProviders lists the preset catalogue: as aligned text, or as the
// Markdown table that README.md embeds (a test keeps the two identical).
// Both are made from the data -json prints (verify.Info).
func writeProviders(w io.Writer, markdown bool) error {
	var presets []verify.Info
	for _, p := range verify.Presets() {
		presets = append(presets, p.Info())
	}
	if markdown {
		fmt.Fprintln(w, "| type | scheme | signature headers | tolerance | event ID | ID signed | event type | ordering (preset) | options | answer | handshake | vectors | notes |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, p := range presets {
			name := "`" + p.Name + "`"
			if len(p.Aliases) > 0 {
				name += " (" + codeSpans(p.Aliases, ", ") + ")"
			}
			answer := "-"
			if p.Success != nil {
				answer = mdEscape.Replace(p.Success.String())
			}
			vectors := "-"
			switch {
			case p.Vectors != nil && p.Vectors.Official:
				vectors = "official"
			case p.Vectors != nil:
				vectors = "recomputed"
			}
			ord := "-"
			if o := p.Ordering; o != nil {
				ord = fmt.Sprintf("`%s` by `%s` (%s)", o.Key, o.Version, o.Format)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				name, p.Scheme, orDash(codeSpans(p.Headers, ", ")), orDash(p.Tolerance), orDash(codeSpans(nonEmpty(p.EventID), "")), yesNo(p.IDSigned),
				orDash(codeSpans(p.EventType, " + ")), ord, orDash(codeSpans(p.Options, ", ")), answer, orDash(mdEscape.Replace(p.Handshake)), vectors, mdEscape.Replace(p.Description))
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tALIASES\tSCHEME\tTOLERANCE\tEVENT ID\tID SIGNED\tEVENT TYPE\tOPTIONS\tHANDSHAKE")
	for _, p := range presets {
		hs := "-"
		if p.Handshake != "" {
			hs = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Name, orDash(strings.Join(p.Aliases, ", ")), p.Scheme, orDash(p.Tolerance),
			orDash(p.EventID), yesNo(p.IDSigned), orDash(strings.Join(p.EventType, " + ")), orDash(strings.Join(p.Options, ", ")), hs)
	}
	return tw.Flush()
}

// mdEscape escapes a description for a Markdown table cell.
var mdEscape = strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;")

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

// yesNo is "yes" or "no".
func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// orDash is s, or "-" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
