package bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// Result is what one side of a run measured.
type Result struct {
	Name       string
	Requests   int
	Elapsed    time.Duration
	Outcomes   map[string]int // by answer: accepted, duplicate, stale, or "status NNN", "error"
	Latency    [4]time.Duration
	CPU        time.Duration // the server process's, over the run (and the drain)
	PeakRSS    int64
	Throughput float64 // requests per second
}

// Report is a whole run.
type Report struct {
	Options  Options
	Baseline *Result
	Pipeline *Result
	// Ratio is the pipeline's throughput over the baseline's.
	Ratio float64
	// Check says whether every accepted event is on the stream exactly
	// once; a run that fails it reports no figure.
	Check      error
	OnStream   int
	Samples    []Sample
	DataDir    string
	GOMAXPROCS int
	// MemLimit is the soft memory limit the gateway ran with, as its
	// metrics report it (math.MaxInt64: none); 0 when not known.
	MemLimit int64
}

func (r *Report) write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	cols := []*Result{r.Baseline, r.Pipeline}
	row := func(name string, f func(*Result) string) {
		fmt.Fprintf(tw, "%s\t", name)
		for _, c := range cols {
			if c != nil {
				fmt.Fprintf(tw, "%s\t", f(c))
			}
		}
		fmt.Fprintln(tw)
	}
	row("", func(c *Result) string { return c.Name })
	row("requests", func(c *Result) string { return strconv.Itoa(c.Requests) })
	row("requests/s", func(c *Result) string { return fmt.Sprintf("%.0f", c.Throughput) })
	row("accepted", func(c *Result) string { return strconv.Itoa(c.Outcomes["accepted"]) })
	row("duplicate", func(c *Result) string { return strconv.Itoa(c.Outcomes["duplicate"]) })
	row("stale", func(c *Result) string { return strconv.Itoa(c.Outcomes["stale"]) })
	row("accepted/s", func(c *Result) string {
		return fmt.Sprintf("%.0f", float64(c.Outcomes["accepted"])/c.Elapsed.Seconds())
	})
	for i, q := range []string{"p50", "p90", "p99", "max"} {
		row("latency "+q, func(c *Result) string { return c.Latency[i].Round(10 * time.Microsecond).String() })
	}
	row("CPU s / 1000 req", func(c *Result) string {
		return fmt.Sprintf("%.3f", c.CPU.Seconds()/float64(max(1, c.Requests))*1000)
	})
	row("peak RSS", func(c *Result) string {
		if c.PeakRSS == 0 {
			return "-"
		}
		return mib(c.PeakRSS)
	})
	tw.Flush()
	var other []string
	for _, c := range cols {
		if c == nil {
			continue
		}
		for k, v := range c.Outcomes {
			switch k {
			case "accepted", "duplicate", "stale", "ok":
			default:
				other = append(other, fmt.Sprintf("%s %s: %d", c.Name, k, v))
			}
		}
	}
	slices.Sort(other)
	for _, s := range other {
		fmt.Fprintln(w, "other answers:", s)
	}
	if r.MemLimit > 0 && r.MemLimit < math.MaxInt64 {
		fmt.Fprintf(w, "gateway memory limit (GOMEMLIMIT): %s\n", mib(r.MemLimit))
	}
	if len(r.Samples) > 0 {
		fmt.Fprintln(w, "gateway resources during the run:")
		for _, s := range r.Samples {
			fmt.Fprintf(w, "  after %8d requests: RSS %s, live Go heap %s, data directory %s\n",
				s.Done, mib(s.RSS), mib(s.HeapLive), mib(s.DBBytes))
		}
	}
	if r.Check != nil {
		fmt.Fprintf(w, "exactly-once check FAILED: %v\nno figure: a run that loses or repeats events measures nothing\n", r.Check)
		return
	}
	fmt.Fprintf(w, "exactly-once check: ok (%d accepted events, each once on the stream)\n", r.Pipeline.Outcomes["accepted"])
	if r.Baseline != nil {
		fmt.Fprintf(w, "ratio hookgate/baseline (requests/s): %.2f\n", r.Ratio)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
