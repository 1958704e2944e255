package bench

import (
	"strings"
	"testing"
	"time"
)

// TestReportNotOKHasNoRatio: a phase with a request that was not answered
// 2xx (here a gateway answering 401 in a tenth of the time, which would
// have made it look ten times faster), or whose round's baseline had one,
// has no ratio; neither has its setup over the rounds; and the run's check
// fails, naming the phase and its answers.
func TestReportNotOKHasNoRatio(t *testing.T) {
	result := func(name string, outcomes map[string]int, elapsed time.Duration) *Result {
		n := 0
		for _, v := range outcomes {
			n += v
		}
		return &Result{Name: name, Requests: n, Elapsed: elapsed, Outcomes: outcomes, Throughput: float64(n) / elapsed.Seconds()}
	}
	base := result("baseline", map[string]int{"ok": 1000}, time.Second)
	good := result("sqlite", map[string]int{"accepted": 900, "duplicate": 50, "stale": 50}, 2*time.Second)
	fast401 := result("sqlite", map[string]int{"accepted": 100, "status 401": 900}, 200*time.Millisecond)
	baseErr := result("baseline", map[string]int{"ok": 999, "error": 1}, time.Second)
	if r := ratio(good, base); r != 0.5 {
		t.Errorf("ratio of a phase answered 2xx: %v; want 0.5", r)
	}
	if r := ratio(fast401, base); r != 0 {
		t.Errorf("ratio of a phase answered 401 mostly: %v; want none (0)", r)
	}
	if r := ratio(good, baseErr); r != 0 {
		t.Errorf("ratio against a baseline with a request unanswered: %v; want none (0)", r)
	}

	phases := []*Phase{
		{Round: 1, Name: "baseline", Result: base},
		{Round: 1, Name: "sqlite", Result: good, Ratio: ratio(good, base)},
		{Round: 2, Name: "sqlite", Result: fast401, Ratio: ratio(fast401, base)},
		{Round: 2, Name: "baseline", Result: base},
	}
	s := &Setup{Name: "sqlite", Phases: []*Phase{phases[1], phases[2]}}
	s.total(true)
	if s.Ratio != (Spread{}) {
		t.Errorf("setup's ratio over the rounds %+v; want none: round 2 has none", s.Ratio)
	}
	rep := &Report{Options: Options{Rounds: 2}, Phases: phases, Baseline: mergeResults("baseline", []*Result{base, base}),
		BaselineRate: spreadOf([]float64{1000, 1000}), Setups: []*Setup{s}}
	err := rep.Check()
	if want := "round 2, sqlite: 900 of 1000 requests not answered 2xx (status 401: 900)"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("check: %v; want it to fail with %q", err, want)
	}
	var out strings.Builder
	rep.write(&out)
	writePhase(&out, 2, phases[2])
	for _, want := range []string{"FAILED: round 2, sqlite: 900 of 1000", "900 not answered 2xx (status 401: 900): no ratio"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "ratio sqlite/baseline") {
		t.Errorf("report gives a ratio:\n%s", out.String())
	}
}
