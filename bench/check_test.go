package bench

import (
	"strings"
	"testing"
)

// checkPlan is a plan of two parts for the check's tests, with a window
// of 2 sends (one connection): entity 0 has version 2 (event 0) and then,
// long after, version 1 (event 1: stale); entity 1 version 2 (event 2)
// and right after it version 1 (event 3: either); entity 2 version 1
// (event 4) right before version 2 (event 5: so event 4 is either, and 5
// new); entity 3 version 1 (event 6) and version 2 (event 7) a window
// apart (both new); event 0 repeated; in the second part, entity 0's
// version 0 (event 8: stale after the first part) and entity 4's version
// 1 (event 9: new).
func checkPlan() (parts []plan, window int) {
	s := func(event, entity, version int) send { return send{event: event, entity: entity, version: version} }
	first := []send{s(0, 0, 2), s(2, 1, 2), s(3, 1, 1), s(4, 2, 1), s(5, 2, 2), s(6, 3, 1), s(0, 0, 2), s(7, 3, 2), s(1, 0, 1)}
	second := []send{s(8, 0, 0), s(9, 4, 1)}
	return []plan{{runID: "r", events: 10, sends: first}, {runID: "r", events: 10, sends: second}}, 2
}

// TestPlanExpectations: what the check expects of each event of a plan:
// new, stale (after a newer version of its entity, at least the window
// before), or either (a newer version within the window, before or after);
// every event new when the provider does not order events.
func TestPlanExpectations(t *testing.T) {
	parts, window := checkPlan()
	exp := expectations(10, parts, window, true)
	want := []expect{isNew, isStale, isNew, either, either, isNew, isNew, isNew, isStale, isNew}
	for i := range want {
		if exp.of[i] != want[i] {
			t.Errorf("event %d: expected %d; want %d", i, exp.of[i], want[i])
		}
	}
	if exp.entity[8] != 0 || exp.entity[9] != 4 {
		t.Errorf("entities of events 8 and 9: %d, %d; want 0 and 4", exp.entity[8], exp.entity[9])
	}
	exp = expectations(10, parts[:1], window, false)
	for i, e := range exp.of {
		if want := map[bool]expect{true: isNew, false: unsent}[i < 8]; e != want {
			t.Errorf("unordered, first part alone: event %d expected %d; want %d", i, e, want)
		}
	}
	if exp.entity[8] != -1 {
		t.Errorf("event 8, not sent: entity %d; want -1", exp.entity[8])
	}
}

// TestPlanJudge: the exactly-once check passes only if the answers are
// what the plan expects and each accepted event is on the stream once. It
// once looked only at the events answered accepted: none accepted passed,
// and so did a new event answered duplicate and left off the stream, or
// one answered accepted twice.
func TestPlanJudge(t *testing.T) {
	parts, window := checkPlan()
	exp := expectations(10, parts, window, true)
	// good: what a gateway answers to the plan, taking event 3 before
	// event 2 (so accepted) and event 4 after event 5 (so stale).
	good := func() (answers, []int) {
		ans := newAnswers(10)
		for _, e := range []int{0, 2, 3, 5, 6, 7, 9} {
			ans[e].accepted = 1
		}
		for _, e := range []int{1, 4, 8} {
			ans[e].stale = 1
		}
		ans[0].duplicate = 1 // its repeat
		seen := make([]int, 10)
		for i, tl := range ans {
			seen[i] = int(tl.accepted)
		}
		return ans, seen
	}
	ans, seen := good()
	chk := judge("r", seen, nil, ans, exp)
	if chk.err != nil || chk.accepted != 7 || chk.isNew != 6 || chk.isStale != 2 || chk.either != 2 || chk.onStream != 7 {
		t.Errorf("the plan's answers: %+v; want ok, 7 accepted and on the stream, 6 new, 2 stale, 2 either", chk)
	}
	for _, c := range []struct {
		name string
		edit func(ans answers, seen []int)
		want string // in the error
	}{
		{"nothing accepted", func(ans answers, seen []int) {
			for i := range ans {
				ans[i] = tally{duplicate: 1}
				seen[i] = 0
			}
		}, "no event was answered accepted"},
		{"a new event answered duplicate, not on the stream", func(ans answers, seen []int) {
			ans[9], seen[9] = tally{duplicate: 1}, 0
		}, "evt_r_9 is new in the plan but was answered 1 duplicate"},
		{"a new event answered stale, not on the stream", func(ans answers, seen []int) {
			ans[5], seen[5] = tally{stale: 1}, 0
		}, "evt_r_5 is new in the plan but was answered 1 stale"},
		{"an event answered accepted twice, on the stream once", func(ans answers, seen []int) {
			ans[0] = tally{accepted: 2}
		}, "evt_r_0 answered accepted 2 times"},
		{"a stale event accepted", func(ans answers, seen []int) {
			ans[1], seen[1] = tally{accepted: 1}, 1
		}, "evt_r_1 comes after a newer version of its entity in the plan but was answered accepted"},
		{"an accepted event twice on the stream", func(ans answers, seen []int) {
			seen[6] = 2
		}, "evt_r_6 accepted, 2 times on the stream"},
		{"a stale event on the stream", func(ans answers, seen []int) {
			seen[8] = 1
		}, "evt_r_8 on the stream 1 times but not accepted"},
	} {
		ans, seen := good()
		c.edit(ans, seen)
		chk := judge("r", seen, nil, ans, exp)
		if chk.err == nil || !strings.Contains(chk.err.Error(), c.want) {
			t.Errorf("%s: %v; want the check failed with %q", c.name, chk.err, c.want)
		}
	}
	if chk := judge("r", make([]int, 10), map[string]int{"evt_r_x": 1}, func() answers { a, _ := good(); return a }(), exp); chk.err == nil {
		t.Errorf("a message of the run that is no event of the plan: %+v; want the check failed", chk)
	}

	// A send answered 503 (or not at all) may have been decided or not:
	// event 0 answered 503 and never accepted, on the stream once, and
	// its entity's later version 1 then accepted (event 0's version was
	// maybe never recorded) pass, as events whose outcome was lost.
	ans, seen = good()
	ans[0], seen[0] = tally{failed: 1, duplicate: 1}, 1
	ans[1], seen[1] = tally{accepted: 1}, 1
	ans[8], seen[8] = tally{accepted: 1}, 1
	chk = judge("r", seen, nil, ans, exp)
	if chk.err != nil || chk.failed != 3 || chk.uncertain != 1 || chk.isStale != 0 {
		t.Errorf("entity 0 with a send answered 503: %+v; want ok, its 3 events either, 1 on the stream unaccepted", chk)
	}

	// A send refused (4xx) was not decided: its entity's older version 1,
	// sent after it, may then be accepted (the load itself fails for the
	// refusal: see Result.OK).
	ans, seen = good()
	ans[0], seen[0] = tally{refused: 1}, 0
	ans[1], seen[1] = tally{accepted: 1}, 1
	if chk = judge("r", seen, nil, ans, exp); chk.err != nil {
		t.Errorf("entity 0 with a send refused: %v; want its events either way", chk.err)
	}
}
