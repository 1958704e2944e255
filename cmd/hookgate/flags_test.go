package main

import (
	"errors"
	"flag"
	"io"
	"testing"
)

// TestQueryFlagsLimit: a replay's -limit is any positive count (its help
// says "default: every match"); a listing's is a page of at most 1000.
func TestQueryFlagsLimit(t *testing.T) {
	for _, c := range []struct {
		forReplay bool
		limit     string
		want      int // 0: a usage error
	}{
		{true, "5000", 5000},
		{true, "0", 0},
		{false, "1000", 1000},
		{false, "5000", 0},
	} {
		fs := flag.NewFlagSet("x", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		query := queryFlags(fs, c.forReplay)
		if err := fs.Parse([]string{"-provider", "shop", "-limit", c.limit}); err != nil {
			t.Fatal(err)
		}
		q, err := query()
		switch {
		case c.want == 0 && !errors.Is(err, errUsage):
			t.Errorf("replay %v, -limit %s: error %v; want a usage error", c.forReplay, c.limit, err)
		case c.want != 0 && (err != nil || q.Limit != c.want):
			t.Errorf("replay %v, -limit %s: limit %d, %v; want %d", c.forReplay, c.limit, q.Limit, err, c.want)
		}
	}
}
