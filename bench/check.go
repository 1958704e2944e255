package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
var errNotExactlyOnce = errors.New("the answers and the stream are not what the plan expects")

// answers are what a setup's gateways answered to the sends of each event
// of the plan, by the event's index.
type answers []tally

// tally counts the answers to one event's sends.
type tally struct {
	accepted, duplicate, stale uint16
	other                      uint16 // 2xx with another status, or none
	// failed were answered 5xx or not at all: the gateway promises no
	// more of them than that they are not on the stream twice. With
	// storage.backend jetstream one may be on it once: its batch was
	// stored after the decision's timeout, and a provider's retry would
	// be a duplicate.
	failed uint16
	// refused were answered another status (3xx, 4xx), or not sent (the
	// request could not be built): not decided.
	refused uint16
}

func newAnswers(events int) answers { return make(answers, events) }

// answerKind is what one send got: the fields of tally.
type answerKind uint8

const (
	accepted answerKind = iota
	duplicate
	stale
	other
	failed
	refused
)

// record counts an answer of kind k to event.
func (a answers) record(event int, k answerKind) {
	t := &a[event]
	switch k {
	case accepted:
		t.accepted++
	case duplicate:
		t.duplicate++
	case stale:
		t.stale++
	case other:
		t.other++
	case failed:
		t.failed++
	default:
		t.refused++
	}
}

// add adds b's answers to a's: a run's loads answer for the same stream.
func (a answers) add(b answers) {
	for i, t := range b {
		a[i].accepted += t.accepted
		a[i].duplicate += t.duplicate
		a[i].stale += t.stale
		a[i].other += t.other
		a[i].failed += t.failed
		a[i].refused += t.refused
	}
}

func (t tally) String() string {
	var s []string
	for _, c := range []struct {
		n    uint16
		what string
	}{{t.accepted, "accepted"}, {t.duplicate, "duplicate"}, {t.stale, "stale"}, {t.other, "another 2xx"},
		{t.failed, "5xx or no answer"}, {t.refused, "another status or not sent"}} {
		if c.n > 0 {
			s = append(s, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// expect is what the plan expects of an event.
type expect uint8

const (
	unsent expect = iota // in no part sent
	// isNew: at its first send it is the newest version of its entity
	// so far, and no newer one comes within the window: answered accepted
	// once (its repeats duplicate).
	isNew
	// isStale: a newer version of its entity came before it, at least the
	// window before: never answered accepted.
	isStale
	// either: a newer version of its entity is sent within the window of
	// it, before or after: with that many requests in flight at once the
	// gateway may take the two in either order, so it is accepted once or
	// stale.
	either
)

// expected is what the plan expects of each event, by its index, and
// each event's entity.
type expected struct {
	of     []expect
	entity []int
}

// expectations reads the parts of a plan sent to a setup, in the order
// sent (each once the one before had all its answers). window bounds how
// far apart in a part two sends must be for the gateway to take them in
// their order: with n connections, n requests are in flight at once, and
// the window is twice that, for a request its handler held a little
// longer. ordered says whether the provider orders events (by the entity
// and version the plan gives them: the sender puts them where the
// provider reads them); if not, every event is new at its first send.
func expectations(events int, parts []plan, window int, ordered bool) expected {
	exp := expected{of: make([]expect, events), entity: make([]int, events)}
	for i := range exp.entity {
		exp.entity[i] = -1
	}
	newest := map[int]int{} // entity: its newest version sent in the parts before
	type first struct{ k, event, entity, version int }
	for _, p := range parts {
		var firsts []first            // the part's events sent for the first time, in order
		byEntity := map[int][]first{} // the same by entity
		for k, s := range p.sends {
			if exp.entity[s.event] < 0 {
				exp.entity[s.event] = s.entity
				f := first{k, s.event, s.entity, s.version}
				firsts = append(firsts, f)
				byEntity[s.entity] = append(byEntity[s.entity], f)
			}
		}
		for _, f := range firsts {
			e := isNew
			if ordered {
				stale, near := newest[f.entity] > f.version, false
				for _, g := range byEntity[f.entity] {
					if g.version > f.version {
						stale = stale || g.k <= f.k-window
						near = near || g.k > f.k-window && g.k < f.k+window
					}
				}
				switch {
				case stale:
					e = isStale
				case near:
					e = either
				}
			}
			exp.of[f.event] = e
		}
		for ent, fs := range byEntity {
			for _, f := range fs {
				newest[ent] = max(newest[ent], f.version)
			}
		}
	}
	return exp
}

// streamCheck is what the exactly-once check found.
type streamCheck struct {
	onStream int // this run's event messages on the stream
	// accepted are the events answered accepted (each once, when the
	// check passes); isNew, isStale and either the events the plan
	// expects so (see expect), but failed, which are those of an entity
	// with a send answered 5xx or not at all: accepted once or not at all.
	accepted, isNew, isStale, either, failed int
	uncertain                                int   // events on the stream not answered accepted, of the failed
	err                                      error // nil: the answers are the plan's, and every accepted event is on the stream once, nothing else twice
}

// checkStream reads the event messages stored since the run started from
// the gateway's stream (its name and credentials from its config: those of
// `hookgate tail`), only on the stream's event subjects (not the jetstream
// backend's claims and versions), and checks this run's against what was
// answered and what the plan expects (judge). While an accepted event is
// missing it keeps reading for up to wait after the last message of the
// run arrived: a running gateway's relay may still be sending its outbox.
func checkStream(ctx context.Context, natsURL string, cfg *config.Config, started time.Time, provider, runID string, ans answers, exp expected, wait time.Duration) streamCheck {
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
	seen := make([]int, len(ans))                           // by event
	unknown := map[string]int{}                             // IDs of the run that are no event of the plan
	prefix := provider + ":evt_" + runID + "_"
	want := 0 // accepted events
	for _, t := range ans {
		if t.accepted > 0 {
			want++
		}
	}
	found := 0 // accepted events seen
	read := 0
	last := time.Now() // when the last message of this run was read
	for {
		caughtUp := read >= total
		if caughtUp && (found == want || time.Since(last) > wait) {
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
			i, err := strconv.Atoi(id)
			switch {
			case err != nil || i < 0 || i >= len(seen) || strconv.Itoa(i) != id:
				unknown["evt_"+runID+"_"+id]++
			default:
				if seen[i]++; seen[i] == 1 && ans[i].accepted > 0 {
					found++
				}
			}
			last = time.Now()
		}
	}
	return judge(runID, seen, unknown, ans, exp)
}

// judge compares the answers with what the plan expects, and with what
// the stream holds (seen: how many times each event of the plan; unknown:
// the run's other IDs). No event may be answered accepted twice; each event
// the plan has new must be answered accepted, and none that it has stale;
// one that it has either way may be either. An event of an entity with a
// send answered 5xx, refused (4xx) or not answered may be either too: that send may have
// been decided or not, and the ones after it depend on it. Each accepted
// event must be on the stream once, and no other but one answered 5xx or
// not at all, at most once. And some event must have been accepted.
func judge(runID string, seen []int, unknown map[string]int, ans answers, exp expected) streamCheck {
	var res streamCheck
	var problems []string
	problem := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	// Entities with a send answered 5xx or not at all, or refused (4xx):
	// the gateway may not have decided it, and the ones after it depend
	// on it.
	lost := map[int]bool{}
	for i, t := range ans {
		if t.failed > 0 || t.refused > 0 {
			lost[exp.entity[i]] = true
		}
	}
	for i, t := range ans {
		id, e := fmt.Sprintf("evt_%s_%d", runID, i), exp.of[i]
		switch {
		case e == unsent:
		case lost[exp.entity[i]]:
			res.failed++
			e = either
		case e == isNew:
			res.isNew++
		case e == isStale:
			res.isStale++
		default:
			res.either++
		}
		if t.accepted > 0 {
			res.accepted++
		}
		switch {
		case t.accepted > 1:
			problem("%s answered accepted %d times (%v)", id, t.accepted, t)
		case e == unsent && t.accepted > 0:
			problem("%s answered accepted but not in the plan's parts sent", id)
		case e == isNew && t.accepted == 0:
			problem("%s is new in the plan but was answered %v", id, t)
		case e == isStale && t.accepted > 0:
			problem("%s comes after a newer version of its entity in the plan but was answered accepted", id)
		}
		n := seen[i]
		res.onStream += n
		switch {
		case t.accepted > 0 && n != 1:
			problem("%s accepted, %d times on the stream", id, n)
		case t.accepted == 0 && n == 1 && t.failed > 0:
			res.uncertain++
		case t.accepted == 0 && n > 0:
			problem("%s on the stream %d times but not accepted (answered %v)", id, n, t)
		}
	}
	for id, n := range unknown {
		res.onStream += n
		problem("%s on the stream %d times but no event of the plan", id, n)
	}
	slices.Sort(problems)
	if res.accepted == 0 {
		problems = slices.Insert(problems, 0, "no event was answered accepted")
	}
	if len(problems) > 0 {
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
