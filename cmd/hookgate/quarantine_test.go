package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestQuarantineCommand: a request that failed verification at a running
// gateway is listed by `hookgate quarantine`, printed by -id as a request
// file, and that file fails `hookgate verify` for the same reason.
func TestQuarantineCommand(t *testing.T) {
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, "quarantine: {enabled: true}", "providers:"+stripeProvider)
	m := startMain(t, cfg)
	body := `{"id":"evt_forged","type":"invoice.paid","created":1,"data":{"object":{"id":"in_1"}}}`
	if code, _ := post(t, m, body, "whsec_wrong"); code != 401 {
		t.Fatalf("forged request: status %d; want 401", code)
	}
	run := func(args ...string) (int, string) {
		var out bytes.Buffer
		code := Run(context.Background(), args, &out, &out)
		return code, out.String()
	}
	var (
		code int
		list string
	)
	testkit.WaitFor(t, 10*time.Second, func() string {
		return fmt.Sprintf("the forged request listed; quarantine exit %d:\n%s", code, list)
	}, func() bool {
		code, list = run("quarantine", "-config", cfg)
		return code == 0 && strings.Contains(list, "signature_mismatch")
	})
	if !strings.Contains(list, "stripe") || !strings.Contains(list, fmt.Sprint(len(body))) {
		t.Errorf("quarantine listed:\n%s\nwant the stripe request of %d bytes", list, len(body))
	}

	code, file := run("quarantine", "-config", cfg, "-id", "1")
	if code != 0 {
		t.Fatalf("quarantine -id 1: exit %d\n%s", code, file)
	}
	var req struct{ Body string }
	if err := json.Unmarshal([]byte(file), &req); err != nil || req.Body != body {
		t.Fatalf("quarantine -id 1 printed %s (%v); want a request file with the body sent", file, err)
	}
	reqFile := testkit.WriteFile(t, t.TempDir(), "kept.json", file)
	if code, out := run("verify", "-config", cfg, "-provider", "stripe", "-request", reqFile); code != 1 || !strings.Contains(out, "signature mismatch") {
		t.Errorf("verify of the kept request: exit %d, %q; want exit 1 naming the signature mismatch", code, out)
	}
}
