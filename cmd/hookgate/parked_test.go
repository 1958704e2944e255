package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/gateway"
	"github.com/hookgate/hookgate/store"
)

// TestParkedCommands: events -status parked lists the parked rows, replay
// -parked moves them back to the outbox (one by -seq, then the rest), and
// says so when none is left; replay -list and -cancel see the replays that
// wait in the outbox.
func TestParkedCommands(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
data_dir: %s
providers: [{name: shop, type: stripe, secrets: [whsec_x]}]
`, filepath.Join(dir, "data"))), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := gateway.OpenDB(context.Background(), filepath.Join(dir, "data"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int{3, 5} {
		if _, err := db.Write.Exec(`INSERT INTO outbox_parked (seq, msg_id, subject, header, body, created_at, parked_at, attempts, error)
			VALUES (?, ?, 'webhooks.shop.t', NULL, '{}', 1, 2, 10, 'nats: maximum payload exceeded')`, seq, fmt.Sprintf("shop:evt_%d", seq)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Write.Exec(`INSERT INTO outbox (msg_id, subject, body, created_at, replay) VALUES ('shop:e:replay:R1', 'webhooks.shop.t', '{}', 1, 'R1')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	run := func(want int, args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if code := Run(context.Background(), append([]string{args[0], "-config", cfg}, args[1:]...), &out, &out); code != want {
			t.Fatalf("hookgate %v: exit %d; want %d\n%s", args, code, want, out.String())
		}
		return out.String()
	}
	if out := run(0, "events", "-status", "parked"); !strings.Contains(out, "shop:evt_3") || !strings.Contains(out, "shop:evt_5") || !strings.Contains(out, "maximum payload") {
		t.Errorf("events -status parked:\n%s", out)
	}
	if out := run(2, "events", "-status", "parked", "-id", "x"); !strings.Contains(out, "provider and limit only") {
		t.Errorf("events -status parked -id:\n%s", out)
	}
	if out := run(0, "replay", "-parked", "-seq", "5"); !strings.Contains(out, "1 parked rows queued again") {
		t.Errorf("replay -parked -seq 5:\n%s", out)
	}
	if out := run(0, "replay", "-parked"); !strings.Contains(out, "1 parked rows queued again") {
		t.Errorf("replay -parked:\n%s", out)
	}
	if out := run(1, "replay", "-parked"); !strings.Contains(out, "no parked row matches") {
		t.Errorf("replay -parked with none left:\n%s", out)
	}
	if out := run(1, "events", "-status", "parked"); !strings.Contains(out, "no row is parked") {
		t.Errorf("events -status parked with none left:\n%s", out)
	}
	run(2, "replay", "-seq", "3")
	run(2, "replay", "-parked", "-provider", "shop")
	if out := run(0, "replay", "-list"); !strings.Contains(out, "R1") {
		t.Errorf("replay -list:\n%s", out)
	}
	if out := run(0, "replay", "-cancel", "R1"); !strings.Contains(out, "1 rows removed") {
		t.Errorf("replay -cancel R1:\n%s", out)
	}
	run(1, "replay", "-cancel", "R1")
	run(1, "replay", "-list")
}
