package config

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestDeployKubernetesConfig validates the config embedded in each
// Kubernetes example, so that none can drift from the config schema: the
// single replica on SQLite, and the replicas sharing a stream, whose NATS
// Helm values must give them what the jetstream backend needs.
func TestDeployKubernetesConfig(t *testing.T) {
	for _, c := range []struct {
		file    string
		backend string
	}{
		{"hookgate.yaml", BackendSQLite},
		{"hookgate-cluster.yaml", BackendJetStream},
	} {
		t.Run(c.file, func(t *testing.T) {
			cfg := kubernetesConfig(t, "../deploy/kubernetes/"+c.file)
			if cfg.Storage.Backend != c.backend {
				t.Errorf("storage.backend = %q; want %q", cfg.Storage.Backend, c.backend)
			}
			if c.backend == BackendJetStream && cfg.NATS.Replicas != 3 {
				t.Errorf("nats.replicas = %d; want 3 on the three-node cluster", cfg.NATS.Replicas)
			}
		})
	}

	raw, err := os.ReadFile("../deploy/kubernetes/nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Config struct {
			Cluster struct {
				Enabled  bool `yaml:"enabled"`
				Replicas int  `yaml:"replicas"`
			} `yaml:"cluster"`
			JetStream struct {
				Enabled bool `yaml:"enabled"`
				Merge   struct {
					Limits struct {
						Batch struct {
							PerStream int `yaml:"max_inflight_per_stream"`
						} `yaml:"batch"`
					} `yaml:"limits"`
				} `yaml:"merge"`
			} `yaml:"jetstream"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	v := values.Config
	if !v.Cluster.Enabled || v.Cluster.Replicas != 3 || !v.JetStream.Enabled {
		t.Errorf("nats-values.yaml: cluster %+v, jetstream enabled %v; want a three-node cluster with JetStream", v.Cluster, v.JetStream.Enabled)
	}
	// Two replicas of the Deployment, each with the default work slots.
	if want := 2 * DefaultMaxInFlight; v.JetStream.Merge.Limits.Batch.PerStream < want {
		t.Errorf("nats-values.yaml: max_inflight_per_stream %d; want at least %d (2 gateways x http.max_in_flight)", v.JetStream.Merge.Limits.Batch.PerStream, want)
	}
}

// kubernetesConfig reads and validates the hookgate config in the
// ConfigMap of a Kubernetes manifest.
func kubernetesConfig(t *testing.T, path string) *Config {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
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
		c, err := Read(strings.NewReader(doc.Data["config.yaml"]), env(map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_x"}))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("the config of %s: %v", path, err)
		}
		return c
	}
	t.Fatalf("no ConfigMap in %s", path)
	return nil
}

// TestDeployContainerImage reads deploy/Dockerfile as a container engine
// would (none runs where the tests run): every file it copies from the
// repository exists, the config it bakes in validates, listens on every
// interface (127.0.0.1 inside a container is the container itself) and
// keeps the embedded NATS server on the loopback, and the NATS port is not
// exposed.
func TestDeployContainerImage(t *testing.T) {
	raw, err := os.ReadFile("../deploy/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	configSrc := ""
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "COPY":
			if strings.HasPrefix(f[1], "--from=") {
				continue
			}
			for _, src := range f[1 : len(f)-1] {
				if _, err := os.Stat("../" + src); err != nil {
					t.Errorf("Dockerfile: COPY %s: %v", src, err)
				}
			}
			if f[len(f)-1] == "/etc/hookgate/config.yaml" {
				configSrc = f[1]
			}
		case "EXPOSE":
			for _, port := range f[1:] {
				if port == "4222" || strings.HasPrefix(port, "4222/") {
					t.Errorf("Dockerfile: EXPOSE %s: the embedded NATS port is exposed", port)
				}
			}
		}
	}
	if configSrc == "" {
		t.Fatal("Dockerfile: no COPY to /etc/hookgate/config.yaml")
	}
	src, err := os.ReadFile("../" + configSrc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read(bytes.NewReader(src), env(nil)); err == nil || !strings.Contains(err.Error(), "HOOKGATE_DEMO_SECRET is not set") {
		t.Errorf("the image's config without HOOKGATE_DEMO_SECRET: %v; want an error naming it", err)
	}
	c, err := Read(bytes.NewReader(src), env(map[string]string{"HOOKGATE_DEMO_SECRET": "whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE="}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("the image's config (%s): %v", configSrc, err)
	}
	for _, l := range []struct{ field, addr string }{{"listen", c.Listen}, {"admin.listen", c.Admin.Listen}} {
		host, _, err := splitListen(l.addr)
		if ip := net.ParseIP(host); err != nil || host != "" && (ip == nil || !ip.IsUnspecified()) {
			t.Errorf("the image's %s = %q; want every interface", l.field, l.addr)
		}
	}
	if !loopbackHost(c.NATS.Host) || len(c.NATS.Users) > 0 {
		t.Errorf("the image's embedded NATS: host %q with %d users; want the loopback", c.NATS.Host, len(c.NATS.Users))
	}
}
