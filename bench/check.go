package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"hookgate/config"
)

// waitDrained polls the gateway's /metrics until its outbox is empty.
func waitDrained(ctx context.Context, adminURL string) error {
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		if v, ok := readMetrics(adminURL)["hookgate_outbox_rows"]; ok && v == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return errors.New("bench: the outbox did not drain within 5 minutes")
}

// errNotExactlyOnce describes a failed check.
var errNotExactlyOnce = errors.New("not every accepted event is on the stream exactly once")

// checkStream reads the messages stored since the run started from the
// gateway's stream (its name and credentials from its config: those of
// `hookgate tail`) and checks
// this run's against what was accepted.
func checkStream(ctx context.Context, natsURL string, cfg *config.Config, started time.Time, provider, runID string, accepted, stale map[string]bool) (int, error) {
	auth, err := cfg.ClientAuth("", "")
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	opts, err := auth.Options()
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return 0, err
	}
	since := started.Add(-time.Second) // the servers' clocks are this machine's
	cons, err := js.OrderedConsumer(ctx, cfg.NATS.Stream, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		return 0, fmt.Errorf("bench: check: %w", err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return 0, err
	}
	pending := int(info.NumPending)
	seen := map[string]int{}
	prefix := provider + ":evt_" + runID + "_"
	read := 0
	for read < pending {
		batch, err := cons.Fetch(min(1000, pending-read), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return 0, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			if id, ok := strings.CutPrefix(m.Headers().Get("Nats-Msg-Id"), prefix); ok {
				seen["evt_"+runID+"_"+id]++
			}
		}
		if err := batch.Error(); err != nil {
			return 0, err
		}
		if n == 0 {
			break
		}
		read += n
	}
	var problems []string
	for id := range accepted {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s accepted, %d times on the stream", id, seen[id]))
		}
	}
	onStream := 0
	for id, n := range seen {
		onStream += n
		if !accepted[id] {
			problems = append(problems, fmt.Sprintf("%s on the stream %d times but not accepted (stale: %v)", id, n, stale[id]))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return onStream, fmt.Errorf("%w: %d problems, first: %s", errNotExactlyOnce, len(problems), problems[0])
	}
	return onStream, nil
}
