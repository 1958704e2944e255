package gateway

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployKubernetesConfig validates the config embedded in the
// Kubernetes example, so the example cannot drift from the config schema.
func TestDeployKubernetesConfig(t *testing.T) {
	raw, err := os.ReadFile("../deploy/kubernetes/hookgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	found := false
	for {
		var doc struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if doc.Kind != "ConfigMap" {
			continue
		}
		found = true
		c, err := ReadConfig(strings.NewReader(doc.Data["config.yaml"]), env(map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("the Kubernetes example's config: %v", err)
		}
	}
	if !found {
		t.Fatal("no ConfigMap in deploy/kubernetes/hookgate.yaml")
	}
}
