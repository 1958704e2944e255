package bench

import (
	"slices"
	"testing"
)

// TestPlanReordersNearby checks the event plan: every event once plus its
// repeats, versions 1-4 per entity, and each version sent after a newer one
// arrives within a couple of thousand sends of it, however many events
// the run has (a late version far behind would outlive a short TTL and
// measure nothing).
func TestPlanReordersNearby(t *testing.T) {
	for _, events := range []int{600, 40000, 1000000} {
		o := Options{Events: events, OutOfOrder: 0.05, Duplicates: 0.05}
		o.defaults()
		p := makePlan(&o, events)
		if want := events + int(float64(events)*0.05); len(p.sends) != want {
			t.Fatalf("%d events: %d sends; want %d", events, len(p.sends), want)
		}
		seen := make(map[int]send)
		newest := make(map[int]int) // entity -> index of its newest version sent so far
		late, farthest := 0, 0
		for i, s := range p.sends {
			if prev, ok := seen[s.event]; ok {
				if prev != s {
					t.Fatalf("%d events: event %d sent as %+v and %+v", events, s.event, prev, s)
				}
				continue
			}
			seen[s.event] = s
			if s.version < 1 || s.version > 4 {
				t.Fatalf("%d events: version %d", events, s.version)
			}
			if j, ok := newest[s.entity]; ok && p.sends[j].version > s.version {
				late++
				farthest = max(farthest, i-j)
				continue
			}
			newest[s.entity] = i
		}
		if len(seen) != events {
			t.Errorf("%d events: %d distinct events sent", events, len(seen))
		}
		if late < events/100 || farthest > 2000 {
			t.Errorf("%d events: %d versions sent late, the farthest %d sends behind; want at least %d, none beyond 2000",
				events, late, farthest, events/100)
		}
	}
}

// TestPlanSplit: the parts of a plan are consecutive, of the same size give
// or take one, cover every send once, and share the run ID; so each event
// is new in the first part that has it.
func TestPlanSplit(t *testing.T) {
	o := Options{Events: 1000, OutOfOrder: 0.05, Duplicates: 0.05}
	o.defaults()
	p := makePlan(&o, 1000)
	for _, n := range []int{1, 3, 4, 7} {
		parts := p.split(n)
		if len(parts) != n {
			t.Fatalf("split(%d): %d parts", n, len(parts))
		}
		total, lo, hi := 0, len(p.sends), 0
		for _, part := range parts {
			if part.runID != p.runID {
				t.Errorf("split(%d): run ID %q; want %q", n, part.runID, p.runID)
			}
			for i, s := range part.sends {
				if p.sends[total+i] != s {
					t.Fatalf("split(%d): send %d of the plan out of place", n, total+i)
				}
			}
			total += len(part.sends)
			lo, hi = min(lo, len(part.sends)), max(hi, len(part.sends))
		}
		if total != len(p.sends) || hi-lo > 1 {
			t.Errorf("split(%d): %d sends in parts of %d to %d; want the plan's %d in parts of the same size", n, total, lo, hi, len(p.sends))
		}
	}
}

// TestPlanRoundOrder: odd rounds run the baseline and then the setups,
// even rounds the same in reverse, so that no side always follows another.
func TestPlanRoundOrder(t *testing.T) {
	for _, c := range []struct {
		round, setups int
		baseline      bool
		want          []int
	}{
		{1, 1, true, []int{-1, 0}},
		{2, 1, true, []int{0, -1}},
		{3, 1, true, []int{-1, 0}},
		{1, 2, true, []int{-1, 0, 1}},
		{2, 2, true, []int{1, 0, -1}},
		{2, 2, false, []int{1, 0}},
		{1, 1, false, []int{0}},
	} {
		if got := roundOrder(c.round, c.setups, c.baseline); !slices.Equal(got, c.want) {
			t.Errorf("round %d of %d setups (baseline %v): %v; want %v", c.round, c.setups, c.baseline, got, c.want)
		}
	}
}
