package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// TestDeliverCommand: `hookgate deliver -config F -subject S -to URL`
// POSTs the events of S on the config's NATS server to URL, with the
// header of -header, until it is stopped; its mistakes of usage exit 2.
// The config's provider takes its secret from a variable that is not set
// here: deliver reads no provider secret, so it runs where they are not.
func TestDeliverCommand(t *testing.T) {
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "WEBHOOKS", Subjects: []string{"webhooks.>"}}); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"webhooks.shop.a", "webhooks.other.b"} {
		m := forward.Message{ID: subj, Subject: subj, Header: nats.Header{forward.HeaderEventID: {subj}}, Body: []byte(subj)}
		if _, err := js.PublishMsg(ctx, m.NATSMsg(nil)); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu  sync.Mutex
		got []string
	)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Get(forward.HeaderEventID)+" "+r.Header.Get("X-Team"))
		mu.Unlock()
	}))
	defer rc.Close()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	if _, set := os.LookupEnv("HOOKGATE_TEST_UNSET_SECRET"); set {
		t.Fatal("HOOKGATE_TEST_UNSET_SECRET is set; this test needs it unset")
	}
	os.WriteFile(cfg, []byte(fmt.Sprintf("nats: {url: %q}\nproviders: [{name: shop, type: github, secrets: [\"${HOOKGATE_TEST_UNSET_SECRET}\"]}]\n", ns.URL())), 0o600)

	runCtx, stop := context.WithCancel(ctx)
	done, exited := make(chan int, 1), make(chan struct{})
	var out bytes.Buffer
	go func() {
		done <- Run(runCtx, []string{"deliver", "-config", cfg, "-subject", "webhooks.shop.>", "-to", rc.URL, "-header", "X-Team=billing"}, &out, &out)
		close(exited)
	}()
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a request"), func() bool {
		select {
		case <-exited:
			t.Fatalf("deliver exited %d before a request\n%s", <-done, out.String())
		default:
		}
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	stop()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("deliver exited %d; want 0\n%s", code, out.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("deliver did not stop")
	}
	mu.Lock()
	if fmt.Sprint(got) != "[webhooks.shop.a billing]" {
		t.Errorf("the service got %q; want webhooks.shop.a alone, with X-Team", got)
	}
	mu.Unlock()

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"deliver"}, 2, "needs -config"},
		{[]string{"deliver", "-config", cfg, "-subject", "webhooks.>"}, 2, "go with -to"},
		{[]string{"deliver", "-config", cfg}, 2, "has no deliveries"},
		{[]string{"deliver", "-config", cfg, "-to", rc.URL, "-header", "X-Team"}, 2, `-header "X-Team" is not NAME=VALUE`},
		{[]string{"deliver", "-config", cfg, "-to", "ftp://x/"}, 1, `deliveries[0] (to-`},
		{[]string{"deliver", "-config", cfg, "-to", rc.URL, "-subject", "orders.>"}, 1, `"orders.>" is not inside the stream's subjects`},
	} {
		var out bytes.Buffer
		if code := Run(ctx, c.args, &out, &out); code != c.code || !strings.Contains(out.String(), c.want) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, out.String(), c.code, c.want)
		}
	}
}
