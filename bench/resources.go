package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is a resource reading during a setup's run, summed over its
// gateway processes.
type Sample struct {
	Done     int   // requests finished
	RSS      int64 // gateway resident memory
	HeapLive int64 // Go heap reachable at the last collection, from the gateway's metrics
	DBBytes  int64 // size of the data directory's files (SQLite file and WAL)
}

// sampler reads the gateway children's resources, every 20ms once another
// share of the requests is done, until stopped. A nil sampler takes none.
type sampler struct {
	quit    chan struct{}
	done    sync.WaitGroup
	samples []Sample // written by its goroutine only until stop
}

// startSampler samples t's gateways each time progress, the count of requests
// done, has grown by every since the last sample. The caller must stop it.
func startSampler(t *target, every int64, progress *atomic.Int64) *sampler {
	s := &sampler{quit: make(chan struct{})}
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		next := int64(0)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
			}
			if done := progress.Load(); done >= next {
				smp := sample(t.gateways)
				smp.Done = int(done)
				s.samples = append(s.samples, smp)
				next = done + every
			}
		}
	}()
	return s
}

// stop ends the sampling, waits for its goroutine and returns the samples
// taken; nil for a nil sampler. It is called once.
func (s *sampler) stop() []Sample {
	if s == nil {
		return nil
	}
	close(s.quit)
	s.done.Wait()
	return s.samples
}

// readMetrics returns the gateway's metrics by name, with their labels
// as the exposition writes them (`name{a="x",le="0.005"}`); an
// unreachable admin listener gives an empty map.
func readMetrics(adminURL string) map[string]float64 {
	m := make(map[string]float64)
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return m
	}
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			m[line[:i]] = v
		}
	}
	return m
}

// Inside is what a setup's gateways measured themselves over a load, from
// their metrics, summed over them: their requests' time from arrival to
// answer (hookgate_request_duration_seconds), and the sqlite backend's
// writer: its batches, their events, and the time of each stage
// (hookgate_writer_batch_events, hookgate_writer_stage_seconds).
type Inside struct {
	Requests        Timed
	Batches, Events float64
	Stages          [len(writerStages)]Timed // in the order of writerStages
}

// Timed sums up a histogram of durations: how many, their total, and how
// many took over 5 ms and over 10 ms.
type Timed struct {
	Count, Seconds    float64
	Over5ms, Over10ms float64
}

var writerStages = [...]string{"decide", "publish", "commit"}

// readTimed reads the histogram name{label} from m.
func readTimed(m map[string]float64, name, label string) Timed {
	n := m[name+"_count{"+label+"}"]
	return Timed{Count: n, Seconds: m[name+"_sum{"+label+"}"],
		Over5ms:  n - m[name+"_bucket{"+label+`,le="0.005"}`],
		Over10ms: n - m[name+"_bucket{"+label+`,le="0.01"}`]}
}

func (t Timed) minus(u Timed) Timed {
	return Timed{t.Count - u.Count, t.Seconds - u.Seconds, t.Over5ms - u.Over5ms, t.Over10ms - u.Over10ms}
}

func (t Timed) plus(u Timed) Timed {
	return Timed{t.Count + u.Count, t.Seconds + u.Seconds, t.Over5ms + u.Over5ms, t.Over10ms + u.Over10ms}
}

// readInside reads what the gateways gws measured so far, of provider's
// requests.
func readInside(gws []*gatewayProc, provider string) Inside {
	var in Inside
	for _, g := range gws {
		m := readMetrics(g.adminURL)
		in.Requests = in.Requests.plus(readTimed(m, "hookgate_request_duration_seconds", `provider="`+provider+`"`))
		in.Batches += m["hookgate_writer_batch_events_count"]
		in.Events += m["hookgate_writer_batch_events_sum"]
		for i, stage := range writerStages {
			in.Stages[i] = in.Stages[i].plus(readTimed(m, "hookgate_writer_stage_seconds", `stage="`+stage+`"`))
		}
	}
	return in
}

// since returns what was measured from before to in.
func (in Inside) since(before Inside) Inside {
	d := Inside{Requests: in.Requests.minus(before.Requests), Batches: in.Batches - before.Batches, Events: in.Events - before.Events}
	for i := range in.Stages {
		d.Stages[i] = in.Stages[i].minus(before.Stages[i])
	}
	return d
}

// insideSince waits, bounded, until the gateways gws have recorded the
// answered requests and (the sqlite backend) the decided events since
// before (a request is recorded after its answer, and a batch answered
// before its commit after the commit), and returns what they measured
// since then.
func insideSince(ctx context.Context, gws []*gatewayProc, provider string, before Inside, answered, decided int) Inside {
	deadline := time.Now().Add(5 * time.Second)
	for {
		in := readInside(gws, provider).since(before)
		if in.Requests.Count >= float64(answered) && in.Events >= float64(decided) || time.Now().After(deadline) || ctx.Err() != nil {
			return in
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sample reads the gateway children's resources now, summed.
func sample(gws []*gatewayProc) Sample {
	var s Sample
	for _, g := range gws {
		ps, _ := readProc(g.child.cmd.Process.Pid)
		s.RSS += ps.RSS
		s.HeapLive += int64(readMetrics(g.adminURL)["go_gc_heap_live_bytes"])
		s.DBBytes += dirSize(g.dataDir)
	}
	return s
}

// usage is the CPU time and peak RSS of a set of processes, summed.
type usage struct {
	cpu     time.Duration
	peakRSS int64
}

// readUsage reads cs's CPU time and peak RSS, summed over them.
func readUsage(cs []*child) usage {
	var u usage
	for _, c := range cs {
		ps, _ := readProc(c.cmd.Process.Pid)
		u.cpu += ps.CPU
		u.peakRSS += ps.PeakRSS
	}
	return u
}

// procStat reads a process's CPU time and memory from /proc.
type procStat struct {
	CPU     time.Duration // user + system
	RSS     int64         // resident set, bytes
	PeakRSS int64         // high-water mark, bytes
}

func readProc(pid int) (procStat, error) {
	var ps procStat
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	// Fields after the command name, which is in parentheses.
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(f) < 13 {
		return ps, errors.New("bench: short /proc stat")
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	ps.CPU = time.Duration(utime+stime) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return ps, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			ps.RSS = kb << 10
		case "VmHWM":
			ps.PeakRSS = kb << 10
		}
	}
	return ps, nil
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on Linux.
const clockTicks = 100

// dirSize is the size of the files directly in dir.
func dirSize(dir string) int64 {
	var n int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			n += info.Size()
		}
	}
	return n
}
