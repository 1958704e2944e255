package config

import (
	"strings"
	"testing"
)

// TestOrderingPreset: ordering.preset takes the key, version and format
// of the preset's natural version; a preset without one, or preset with
// its own key, is an error naming the field; validating twice is the
// same.
func TestOrderingPreset(t *testing.T) {
	c := mustValid(t, "providers:\n  - name: shop\n    type: stripe\n    secrets: [whsec_x]\n    ordering: {preset: true, ties: drop}\n")
	o := c.Providers[0].Ordering
	if o.Key != "data.object.id" || o.Version != "created" || o.Format != "unix" || o.Ties != "drop" {
		t.Errorf("ordering = %+v; want stripe's data.object.id by created (unix), ties drop", o)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("validating again: %v", err)
	}
	for _, tc := range []struct{ src, want string }{
		{"    type: github\n    secrets: [s]\n    ordering: {preset: true}\n", "ordering.preset: github has no natural version"},
		{"    type: stripe\n    secrets: [whsec_x]\n    ordering: {preset: true, key: id}\n", "ordering.preset: takes key, version and format from the preset"},
	} {
		_, err := readValidate(t, "providers:\n  - name: p\n"+tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want an error containing %q", tc.src, err, tc.want)
		}
	}
}
