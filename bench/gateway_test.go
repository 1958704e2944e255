package bench

import (
	"testing"
	"time"

	"github.com/hookgate/hookgate/config"
)

// TestGatewayConfigDefaults: the gateway under test runs with the
// defaults (it once swept every 10 s and had 100,000 work slots), but for
// the work slots and connections its one client address needs when the
// run has more connections than the defaults let one address hold.
func TestGatewayConfigDefaults(t *testing.T) {
	for _, c := range []struct {
		conc, slots, conns int
	}{{64, config.DefaultMaxInFlight, 1024}, {256, config.DefaultMaxInFlight, 1024}, {300, 1200, 1024}, {2000, 8000, config.DefaultMaxConns}} {
		o := Options{Concurrency: c.conc}
		o.defaults()
		path, err := writeConfig(t.TempDir(), &o, setupSpec{name: "sqlite", backend: "sqlite", gateways: 1}, "", "whsec_test", [3]int{1, 2, 3})
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Duration(cfg.Storage.SweepInterval); got != time.Minute {
			t.Errorf("%d connections: sweep_interval %v; want the default 1m", c.conc, got)
		}
		if h := cfg.HTTP; h.MaxInFlight != c.slots || h.MaxInFlightPerClient < c.conc {
			t.Errorf("%d connections: max_in_flight %d, per client %d; want %d, at least one per connection", c.conc, h.MaxInFlight, h.MaxInFlightPerClient, c.slots)
		}
		if h := cfg.HTTP; h.MaxConnsPerClient != c.conns || h.MaxConnsPerClient < c.conc {
			t.Errorf("%d connections: max_conns_per_client %d; want %d, at least the connections", c.conc, h.MaxConnsPerClient, c.conns)
		}
	}
}
