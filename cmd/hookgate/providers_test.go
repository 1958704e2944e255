package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/verify"
)

// TestReadmeProviderTable keeps README.md's provider table identical to the
// catalogue: regenerate it with `hookgate providers -markdown`.
func TestReadmeProviderTable(t *testing.T) {
	var want bytes.Buffer
	if err := writeProviders(&want, true); err != nil {
		t.Fatal(err)
	}
	if got := readmeSection(t, "providers"); got != want.String() {
		t.Errorf("README.md's provider table is out of date; replace it with the output of `hookgate providers -markdown`:\n%s", want.String())
	}
	for _, p := range verify.Presets() {
		if !strings.Contains(want.String(), "| `"+p.Name+"`") {
			t.Errorf("table lacks preset %s", p.Name)
		}
	}
}

// TestProvidersJSON: -json lists every preset, with what the table shows
// (the table is made from the same data).
func TestProvidersJSON(t *testing.T) {
	var out bytes.Buffer
	if code := Run(context.Background(), []string{"providers", "-json"}, &out, &out); code != 0 {
		t.Fatalf("providers -json: exit %d\n%s", code, out.String())
	}
	var infos []verify.Info
	if err := json.Unmarshal(out.Bytes(), &infos); err != nil {
		t.Fatalf("providers -json is not a JSON array of presets: %v", err)
	}
	presets := verify.Presets()
	if len(infos) != len(presets) {
		t.Fatalf("%d presets in the JSON; the catalogue has %d", len(infos), len(presets))
	}
	byName := map[string]verify.Info{}
	for _, i := range infos {
		byName[i.Name] = i
	}
	for _, p := range presets {
		i, ok := byName[p.Name]
		if !ok || i.Scheme != p.Scheme || i.EventID != p.EventID || len(i.Headers) != len(p.Headers) {
			t.Errorf("%s: JSON %+v; want the preset's scheme, event ID and headers", p.Name, i)
		}
	}
	if s := byName["stripe"]; s.Tolerance != "5m0s" || s.EventID != "id" || len(s.EventType) != 1 || s.EventType[0] != "type" {
		t.Errorf("stripe = %+v; want tolerance 5m0s, event ID id, type type", s)
	}
	if g := byName["github"]; g.IDSigned || byName["stripe"].IDSigned != true {
		t.Errorf("id_signed: github %v, stripe %v; want false, true", g.IDSigned, byName["stripe"].IDSigned)
	}
	if h := byName["slack"].Handshake; !strings.Contains(h, "url_verification") {
		t.Errorf("slack's handshake = %q; want url_verification described", h)
	}
	if v := byName["stripe"].Vectors; v == nil || !v.Official || len(v.Sources) == 0 {
		t.Errorf("stripe's vectors = %+v; want official, with sources", v)
	}
	if o := byName["stripe"].Ordering; o == nil || o.Key != "data.object.id" {
		t.Errorf("stripe's ordering = %+v; want data.object.id", o)
	}
	var both bytes.Buffer
	if code := Run(context.Background(), []string{"providers", "-json", "-markdown"}, &both, &both); code != 2 {
		t.Errorf("providers -json -markdown: exit %d; want 2", code)
	}
}
