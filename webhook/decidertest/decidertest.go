// Package decidertest is the conformance suite every decision backend
// passes (the SQLite store, the JetStream stream): duplicates, stale
// events and ties, kinds of versions (times and numbers), TTL expiry,
// concurrent identical deliveries, shuffled and concurrent versions, and a
// failing storage. A backend's test calls
// Run with a constructor of its backend.
package decidertest

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/webhook"
)

// Decider is the decision under test.
type Decider interface {
	Decide(ctx context.Context, ev *webhook.Event) (webhook.Outcome, error)
}

// Backend is a decider under test and what the suite needs around it.
type Backend struct {
	Decider Decider
	// Forwarded returns the message IDs of the events forwarded so far
	// (the outbox, or the stream), in the order they will reach
	// consumers.
	Forwarded func(tb testing.TB) []string
	// Expire returns once the claims and versions recorded so far have
	// expired (an injected clock moved past the TTL, or real time waited
	// for).
	Expire func(tb testing.TB)
	// Break makes the storage fail from now on.
	Break func(tb testing.TB)
}

// TTL is the dedupe TTL of the suite's events; a backend's TTL resolution
// (JetStream's is a second) fits it.
const TTL = 2 * time.Second

// Run runs the suite; newBackend returns a fresh, empty backend for each
// case.
func Run(t *testing.T, newBackend func(t *testing.T) *Backend) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, b *Backend)
	}{
		{"duplicate", duplicate},
		{"stale and ties", staleAndTies},
		{"stale retried is a duplicate", staleRetried},
		{"duplicate moves no version", duplicateVersion},
		{"times before 1970", earlyTimes},
		{"kinds of versions", versionKinds},
		{"copies and drop", copiesAndDrop},
		{"stale kept", staleKept},
		{"tie dropped and kept", tieKept},
		{"ttl expiry", ttlExpiry},
		{"concurrent identical deliveries", concurrentIdentical},
		{"shuffled versions", shuffledVersions},
		{"concurrent versions", concurrentVersions},
		{"failing storage", failingStorage},
	} {
		t.Run(c.name, func(t *testing.T) { c.run(t, newBackend(t)) })
	}
}

// Event returns an event of provider p with the given ID, ordered on
// entity (none when "") at version, a number (ordering.Number).
func Event(id, entity string, version int64) *webhook.Event {
	ev := &webhook.Event{
		Provider: "p",
		ID:       id,
		Type:     "t",
		Key:      "p:" + id,
		TTL:      TTL,
		Message: forward.Message{
			ID:      "p:" + id,
			Subject: "webhooks.p.t",
			Header:  map[string][]string{forward.HeaderEventID: {id}},
			Body:    []byte(`{"id":"` + id + `"}`),
		},
	}
	if entity != "" {
		ev.Ordered, ev.Entity, ev.Version, ev.VersionKind = true, "p:"+entity, version, ordering.Number
	}
	return ev
}

func decide(t *testing.T, b *Backend, ev *webhook.Event, want webhook.Outcome) {
	t.Helper()
	got, err := b.Decider.Decide(context.Background(), ev)
	if err != nil || got != want {
		t.Fatalf("Decide(%s, version %d) = %v, %v; want %v", ev.ID, ev.Version, got, err, want)
	}
}

func forwarded(t *testing.T, b *Backend, want ...string) {
	t.Helper()
	for i := range want {
		want[i] = "p:" + want[i]
	}
	forwardedIDs(t, b, want...)
}

// forwardedIDs checks the message IDs forwarded so far.
func forwardedIDs(t *testing.T, b *Backend, want ...string) {
	t.Helper()
	if got := b.Forwarded(t); !slices.Equal(got, want) {
		t.Fatalf("forwarded %v; want %v", got, want)
	}
}

func duplicate(t *testing.T, b *Backend) {
	decide(t, b, Event("e1", "", 0), webhook.Accepted)
	decide(t, b, Event("e1", "", 0), webhook.Duplicate)
	decide(t, b, Event("e2", "", 0), webhook.Accepted)
	forwarded(t, b, "e1", "e2")
}

func staleAndTies(t *testing.T, b *Backend) {
	decide(t, b, Event("v2", "x", 2), webhook.Accepted)
	decide(t, b, Event("v1", "x", 1), webhook.Stale)
	decide(t, b, Event("v2b", "x", 2), webhook.Accepted) // a tie is forwarded
	tie := Event("v2c", "x", 2)
	tie.DropTies = true
	decide(t, b, tie, webhook.Stale)
	decide(t, b, Event("v3", "x", 3), webhook.Accepted)
	decide(t, b, Event("other1", "y", 1), webhook.Accepted) // entities are apart
	forwarded(t, b, "v2", "v2b", "v3", "other1")
}

func staleRetried(t *testing.T, b *Backend) {
	decide(t, b, Event("v5", "x", 5), webhook.Accepted)
	decide(t, b, Event("v4", "x", 4), webhook.Stale)
	decide(t, b, Event("v4", "x", 4), webhook.Duplicate)
	forwarded(t, b, "v5")
}

// duplicateVersion: a duplicate (an ID already claimed) that carries a
// newer version records nothing: the entity's version stays, and a version
// between the two is accepted.
func duplicateVersion(t *testing.T, b *Backend) {
	decide(t, b, Event("d1", "x", 5), webhook.Accepted)
	decide(t, b, Event("d1", "x", 9), webhook.Duplicate)
	decide(t, b, Event("d2", "x", 7), webhook.Accepted)
	decide(t, b, Event("d3", "x", 6), webhook.Stale)
	forwarded(t, b, "d1", "d2")
}

// earlyTimes: times before 1970 are negative versions (RFC 3339 has
// them), down to the year 0000, and compare as any other.
func earlyTimes(t *testing.T, b *Backend) {
	timed := func(id string, version int64) *webhook.Event {
		ev := Event(id, "x", version)
		ev.VersionKind = ordering.Time
		return ev
	}
	// 0000-01-01T00:00:00Z in unix microseconds.
	const year0 = -62167219200_000000
	decide(t, b, timed("m1", -1_000_000), webhook.Accepted) // 1969-12-31T23:59:59Z
	decide(t, b, timed("m2", -2_000_000), webhook.Stale)
	decide(t, b, timed("y0", year0), webhook.Stale)
	decide(t, b, timed("z", 0), webhook.Accepted)
	decide(t, b, timed("y0b", year0), webhook.Stale)
	y := timed("y0c", year0)
	y.Entity = "p:y"
	decide(t, b, y, webhook.Accepted) // an unseen entity's first, however early
	decide(t, b, timed("m1b", -1_000_000), webhook.Stale)
	forwarded(t, b, "m1", "z", "y0c")
}

// versionKinds: a version of another kind than its entity's last (the
// provider's ordering.format changed: Stripe's created read as unix
// seconds, then as a plain number under auto) does not compare with it:
// the event is taken as the entity's first, accepted and recorded, however
// low its number. Versions of one kind compare as ever. A version of
// ordering.AnyKind, as recorded before versions had kinds, compares with
// both kinds as a plain integer.
func versionKinds(t *testing.T, b *Backend) {
	timed := func(id, entity string, version int64) *webhook.Event {
		ev := Event(id, entity, version)
		ev.VersionKind = ordering.Time
		return ev
	}
	decide(t, b, timed("t1", "x", 1709294400_000000), webhook.Accepted)
	decide(t, b, Event("n1", "x", 1709294999), webhook.Accepted)
	decide(t, b, Event("n0", "x", 1709294998), webhook.Stale)
	decide(t, b, timed("t0", "x", 1709294399_000000), webhook.Accepted)
	decide(t, b, timed("t00", "x", 1709294398_000000), webhook.Stale)
	old := Event("a100", "y", 100)
	old.VersionKind = ordering.AnyKind
	decide(t, b, old, webhook.Accepted)
	decide(t, b, Event("a50", "y", 50), webhook.Stale)
	decide(t, b, timed("a60", "y", 60), webhook.Stale)
	decide(t, b, timed("a200", "y", 200), webhook.Accepted)
	forwarded(t, b, "t1", "n1", "t0", "a100", "a200")
}

// copiesAndDrop: an event's route copies are forwarded with it, before it,
// and not again for a duplicate or a stale event; an event dropped by a
// route is accepted, forwards nothing, and its retry is a duplicate. An
// event whose ID looks like a copy's ("c1@r1", the "<provider>:<event
// id>@<route>" of earlier versions) is forwarded too: the copies' IDs
// (webhook.CopyID) are out of the events' reach.
func copiesAndDrop(t *testing.T, b *Backend) {
	withCopies := func(id, entity string, version int64) *webhook.Event {
		ev := Event(id, entity, version)
		for _, route := range []string{"r1", "r2"} {
			c := ev.Message
			c.ID, c.Subject = webhook.CopyID(ev.Provider, route, ev.ID), "webhooks.routed."+route
			ev.Copies = append(ev.Copies, c)
		}
		return ev
	}
	decide(t, b, withCopies("c1", "x", 2), webhook.Accepted)
	decide(t, b, withCopies("c1", "x", 2), webhook.Duplicate)
	decide(t, b, withCopies("c0", "x", 1), webhook.Stale)
	dropped := withCopies("d1", "", 0)
	dropped.Drop = true
	decide(t, b, dropped, webhook.Accepted)
	decide(t, b, dropped, webhook.Duplicate)
	decide(t, b, Event("e1", "", 0), webhook.Accepted)
	decide(t, b, Event("c1@r1", "", 0), webhook.Accepted)
	// An event's own message after its copies.
	forwardedIDs(t, b, "p@r1:c1", "p@r2:c1", "p:c1", "p:e1", "p:c1@r1")
}

// staleKept: a stale event that carries a Stale message (ordering.stale
// forward) forwards it, once; one without forwards nothing.
func staleKept(t *testing.T, b *Backend) {
	kept := func(id string, version int64) *webhook.Event {
		ev := Event(id, "x", version)
		ev.StaleSubject = "webhooks.stale.p.t"
		return ev
	}
	decide(t, b, kept("v5", 5), webhook.Accepted)
	decide(t, b, kept("v3", 3), webhook.Stale)
	decide(t, b, kept("v3", 3), webhook.Duplicate)
	decide(t, b, Event("v4", "x", 4), webhook.Stale)
	decide(t, b, kept("v6", 6), webhook.Accepted)
	forwarded(t, b, "v5", "v3", "v6")
}

// tieKept: with ties dropped, an equal version is stale, and with a stale
// subject (ordering.stale forward) it is kept like an older one, once.
func tieKept(t *testing.T, b *Backend) {
	tie := func(id string, version int64) *webhook.Event {
		ev := Event(id, "x", version)
		ev.DropTies, ev.StaleSubject = true, "webhooks.stale.p.t"
		return ev
	}
	decide(t, b, tie("v5", 5), webhook.Accepted)
	decide(t, b, tie("t5", 5), webhook.Stale)
	decide(t, b, tie("t5", 5), webhook.Duplicate)
	decide(t, b, tie("v6", 6), webhook.Accepted)
	forwarded(t, b, "v5", "t5", "v6")
}

func ttlExpiry(t *testing.T, b *Backend) {
	decide(t, b, Event("e1", "", 0), webhook.Accepted)
	decide(t, b, Event("v9", "x", 9), webhook.Accepted)
	b.Expire(t)
	decide(t, b, Event("e1", "", 0), webhook.Accepted)  // its claim expired
	decide(t, b, Event("v1", "x", 1), webhook.Accepted) // so did the entity's version
	forwarded(t, b, "e1", "v9", "e1", "v1")
}

func concurrentIdentical(t *testing.T, b *Backend) {
	const n = 20
	outcomes := make(chan webhook.Outcome, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			o, err := b.Decider.Decide(context.Background(), Event("same", "x", 1))
			if err != nil {
				t.Error(err)
			}
			outcomes <- o
		})
	}
	wg.Wait()
	close(outcomes)
	count := map[webhook.Outcome]int{}
	for o := range outcomes {
		count[o]++
	}
	if count[webhook.Accepted] != 1 || count[webhook.Duplicate] != n-1 {
		t.Fatalf("outcomes %v; want 1 accepted, %d duplicates", count, n-1)
	}
	forwarded(t, b, "same")
}

func shuffledVersions(t *testing.T, b *Backend) {
	versions := rand.Perm(50)
	var accepted []int
	for _, v := range versions {
		o, err := b.Decider.Decide(context.Background(), Event("v"+strconv.Itoa(v), "x", int64(v)))
		if err != nil {
			t.Fatal(err)
		}
		if o == webhook.Accepted {
			if len(accepted) > 0 && v <= accepted[len(accepted)-1] {
				t.Fatalf("version %d accepted after %d", v, accepted[len(accepted)-1])
			}
			accepted = append(accepted, v)
		} else if o != webhook.Stale || len(accepted) == 0 || v > accepted[len(accepted)-1] {
			t.Fatalf("version %d: %v after accepted %v; want stale only below the last accepted", v, o, accepted)
		}
	}
	checkIncreasing(t, b, len(accepted))
}

func concurrentVersions(t *testing.T, b *Backend) {
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for v := range n {
		wg.Go(func() {
			o, err := b.Decider.Decide(context.Background(), Event("v"+strconv.Itoa(v), "x", int64(v)))
			if err != nil {
				t.Error(err)
				return
			}
			if o == webhook.Accepted {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if accepted == 0 {
		t.Fatal("no version accepted")
	}
	checkIncreasing(t, b, accepted)
}

// checkIncreasing checks that n events were forwarded, with their versions
// (their IDs are v<version>) increasing in the order consumers see them.
func checkIncreasing(t *testing.T, b *Backend, n int) {
	t.Helper()
	ids := b.Forwarded(t)
	if len(ids) != n {
		t.Fatalf("forwarded %d events; want the %d accepted", len(ids), n)
	}
	last := -1
	for _, id := range ids {
		v, err := strconv.Atoi(strings.TrimPrefix(id, "p:v"))
		if err != nil {
			t.Fatalf("forwarded %q", id)
		}
		if v <= last {
			t.Fatalf("forwarded %v: version %d after %d", ids, v, last)
		}
		last = v
	}
}

func failingStorage(t *testing.T, b *Backend) {
	decide(t, b, Event("before", "", 0), webhook.Accepted)
	b.Break(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := b.Decider.Decide(ctx, Event("after", "", 0))
	if err == nil {
		t.Fatalf("Decide with the storage failing = %v, nil; want an error, and no outcome", o)
	}
	if o != 0 {
		t.Errorf("Decide with the storage failing = %v, %v; want no outcome with the error", o, err)
	}
}
