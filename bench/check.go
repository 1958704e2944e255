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

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/jsstore"
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

// answers are the event IDs of a load by what the gateway answered.
type answers struct {
	accepted, stale map[string]bool
	// uncertain were answered 5xx or not at all (and never 2xx): the
	// gateway promises no more of them than that they are not on the
	// stream twice. With storage.backend jetstream one may be on it once:
	// its batch was stored after the decision's timeout, and a provider's
	// retry would be a duplicate.
	uncertain map[string]bool
}

func newAnswers() answers {
	return answers{accepted: map[string]bool{}, stale: map[string]bool{}, uncertain: map[string]bool{}}
}

// add adds b's event IDs to a's: a run's loads answer for the same stream.
func (a answers) add(b answers) {
	for id := range b.accepted {
		a.accepted[id] = true
	}
	for id := range b.stale {
		a.stale[id] = true
	}
	for id := range b.uncertain {
		a.uncertain[id] = true
	}
}

// streamCheck is what the exactly-once check found.
type streamCheck struct {
	onStream  int   // this run's event messages on the stream
	uncertain int   // of them, events answered 5xx or not at all
	err       error // nil: every accepted event once, nothing else twice
}

// checkStream reads the event messages stored since the run started from
// the gateway's stream (its name and credentials from its config: those of
// `hookgate tail`), only on the stream's event subjects (not the jetstream
// backend's claims and versions), and checks this run's against what was
// answered. While an accepted event is missing it keeps reading for up to
// wait after the last message of the run arrived: a running gateway's
// relay may still be sending its outbox.
func checkStream(ctx context.Context, natsURL string, cfg *config.Config, started time.Time, provider, runID string, ans answers, wait time.Duration) streamCheck {
	fail := func(err error) streamCheck { return streamCheck{err: fmt.Errorf("bench: check: %w", err)} }
	auth, err := cfg.ClientAuth("", "")
	if err != nil {
		return fail(err)
	}
	opts, err := auth.Options()
	if err != nil {
		return fail(err)
	}
	nc, err := nats.Connect(natsURL, opts...)
	if err != nil {
		return fail(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}
	since := started.Add(-time.Second) // the servers' clocks are this machine's
	cons, err := js.OrderedConsumer(ctx, cfg.NATS.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: eventSubjects(ctx, js, cfg),
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy, OptStartTime: &since})
	if err != nil {
		return fail(err)
	}
	// One consumer pulled continuously: an ordered consumer's Fetch makes
	// a new consumer each time, and on a cluster the next pull may reach
	// the node before the consumer's interest does ("no responders").
	it, err := cons.Messages()
	if err != nil {
		return fail(err)
	}
	defer it.Stop()
	info, err := cons.Info(ctx)
	if err != nil {
		return fail(err)
	}
	total := int(info.NumPending + info.Delivered.Consumer) // stored since the run started
	seen := map[string]int{}
	prefix := provider + ":evt_" + runID + "_"
	found := 0 // accepted events seen
	read := 0
	last := time.Now() // when the last message of this run was read
	for {
		caughtUp := read >= total
		if caughtUp && (found == len(ans.accepted) || time.Since(last) > wait) {
			break
		}
		maxWait := 10 * time.Second
		if caughtUp {
			maxWait = time.Second // waiting for a running gateway's relay
		}
		m, err := it.Next(jetstream.NextMaxWait(maxWait))
		if errors.Is(err, nats.ErrTimeout) {
			if !caughtUp {
				break // the stream holds fewer than its count said: report what was read
			}
			continue
		}
		if err != nil {
			return fail(err)
		}
		read++
		if id, ok := strings.CutPrefix(m.Headers().Get("Nats-Msg-Id"), prefix); ok {
			id = "evt_" + runID + "_" + id
			if seen[id]++; seen[id] == 1 && ans.accepted[id] {
				found++
			}
			last = time.Now()
		}
	}
	return judge(seen, ans)
}

// judge compares what the stream holds (seen: how many times each event
// of the run) with the answers: each accepted event once, nothing else but
// events whose answer was lost.
func judge(seen map[string]int, ans answers) streamCheck {
	var res streamCheck
	var problems []string
	for id := range ans.accepted {
		if seen[id] != 1 {
			problems = append(problems, fmt.Sprintf("%s accepted, %d times on the stream", id, seen[id]))
		}
	}
	for id, n := range seen {
		res.onStream += n
		switch {
		case ans.accepted[id]:
		case ans.uncertain[id] && n == 1:
			res.uncertain++
		default:
			problems = append(problems, fmt.Sprintf("%s on the stream %d times but not accepted (stale: %v, answered 5xx or not at all: %v)", id, n, ans.stale[id], ans.uncertain[id]))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		res.err = fmt.Errorf("%w: %d problems, first: %s", errNotExactlyOnce, len(problems), problems[0])
	}
	return res
}

// eventSubjects are the subjects of the stream's events: the stream's
// subjects but the jetstream backend's internal ones (as the gateway reads
// them), or the config's when the stream's cannot be read.
func eventSubjects(ctx context.Context, js jetstream.JetStream, cfg *config.Config) []string {
	subjects := cfg.NATS.Subjects
	if st, err := js.Stream(ctx, cfg.NATS.Stream); err == nil {
		subjects = st.CachedInfo().Config.Subjects
	}
	return slices.DeleteFunc(slices.Clone(subjects), func(s string) bool { return slices.Contains(jsstore.Subjects, s) })
}
