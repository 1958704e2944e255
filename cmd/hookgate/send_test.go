package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// TestSendAndTail runs `send` against a running gateway and `tail` on its
// stream, as the README's quick start does.
func TestSendAndTail(t *testing.T) {
	const providers = demoProvider + "\n    ordering: {key: data.id, version: data.updated_at}\n"
	m := mustMain(t, providers)
	// The CLI's own config: the running gateway's address and NATS server.
	cfgPath := testkit.WriteFile(t, t.TempDir(), "c.yaml", fmt.Sprintf("\nlisten: %s\nnats: {url: %s}\nproviders:%s", m.Server.Addr(), m.Server.NATSURL(), providers))

	var sendOut bytes.Buffer
	if code := Run(context.Background(), []string{"send", "-config", cfgPath, "-provider", "demo", "-id", "evt_demo_1", "-event-type", "order.paid"}, &sendOut, &sendOut); code != 0 {
		t.Fatalf("send exit %d:\n%s", code, sendOut.String())
	}
	if !strings.Contains(sendOut.String(), "202 Accepted") {
		t.Errorf("send output lacks 202 Accepted:\n%s", sendOut.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var tailOut bytes.Buffer
	code := Run(ctx, []string{"tail", "-config", cfgPath, "-stream", "WEBHOOKS", "-all", "-count", "1", "webhooks.demo.>"}, &tailOut, &tailOut)
	if code != 0 {
		t.Fatalf("tail exit %d:\n%s", code, tailOut.String())
	}
	for _, want := range []string{"--- webhooks.demo.order.paid", "Hookgate-Event-Id: evt_demo_1", "Nats-Msg-Id: demo:evt_demo_1", `"type":"order.paid"`} {
		if !strings.Contains(tailOut.String(), want) {
			t.Errorf("tail output lacks %q:\n%s", want, tailOut.String())
		}
	}
}
