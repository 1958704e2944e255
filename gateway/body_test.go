package gateway

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody reads declared, undeclared and short bodies of every size
// region (one chunk, several, a size class of its own), each byte for byte.
func TestReadBody(t *testing.T) {
	const limit = 1 << 20
	pattern := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteByte(byte('a' + i%26))
		}
		return b.String()
	}
	for _, c := range []struct {
		name     string
		body     string
		declared int64 // -2: the body's own length
		err      error
	}{
		{"empty", "", 0, nil},
		{"empty, undeclared", "", -1, nil},
		{"small declared", "hello", -2, nil},
		{"exactly one chunk", pattern(chunkSize), -2, nil},
		{"one chunk and a byte", pattern(chunkSize + 1), -2, nil},
		{"several chunks", pattern(300 << 10), -2, nil},
		{"several chunks, undeclared", pattern(300<<10 + 7), -1, nil},
		{"exactly the limit", pattern(limit), -2, nil},
		{"exactly the limit, undeclared", pattern(limit), -1, nil},
		{"short of its declared length", "hel", 5, ErrMalformed},
		{"large and short", pattern(1000), 300 << 10, ErrMalformed},
		{"declared over the limit", "", limit + 1, ErrTooLarge},
		{"undeclared over the limit", pattern(limit + 1), -1, ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			declared := c.declared
			if declared == -2 {
				declared = int64(len(c.body))
			}
			// net/http's body reader returns io.EOF with the last bytes
			// (iotest.DataErrReader); a plain reader returns it on the read
			// after them.
			for _, eofWithData := range []bool{false, true} {
				var r io.Reader = strings.NewReader(c.body)
				if eofWithData {
					r = iotest.DataErrReader(r)
				}
				if declared >= 0 {
					r = &shortIsUnexpected{r: r, left: declared}
				}
				b, err := readBody(r, declared, limit)
				if !errors.Is(err, c.err) {
					t.Fatalf("readBody (EOF with data: %v) = %v; want %v", eofWithData, err, c.err)
				}
				if err == nil && string(b.Bytes()) != c.body {
					t.Fatalf("readBody (EOF with data: %v) = %d bytes; want the %d sent", eofWithData, len(b.Bytes()), len(c.body))
				}
				b.Release()
			}
		})
	}
}

// TestReadBodyTimeout: a read that fails on its deadline is ErrBodyTimeout
// (408), not a malformed request.
func TestReadBodyTimeout(t *testing.T) {
	r := io.MultiReader(strings.NewReader("part"), errReader{os.ErrDeadlineExceeded})
	if _, err := readBody(r, 100, 1<<20); !errors.Is(err, ErrBodyTimeout) {
		t.Fatalf("readBody = %v; want ErrBodyTimeout", err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// TestReadBodyAllocatesWhatArrives: a 1 MiB declared length with one byte
// sent costs a chunk, not the declared megabyte, and with a chunk and a
// byte sent (then a stall until the body deadline) a chunk and 64 KiB: it
// once cost the whole declared length, 200 such HTTP/2 streams 281 MiB. A
// 1 MiB body costs the buffers it grew through, less than twice its size
// (declared), or its chunks and one copy (undeclared).
func TestReadBodyAllocatesWhatArrives(t *testing.T) {
	alloc := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	n := alloc(func() {
		_, err := readBody(&shortIsUnexpected{r: strings.NewReader("x"), left: 1 << 20}, 1<<20, 1<<20)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("readBody of a body cut short = %v; want ErrMalformed", err)
		}
	})
	if n > 4*chunkSize {
		t.Errorf("reading 1 byte of a declared 1 MiB allocated %d bytes; want at most a few chunks", n)
	}
	sent := make([]byte, chunkSize+1)
	n = alloc(func() {
		r := io.MultiReader(bytes.NewReader(sent), errReader{os.ErrDeadlineExceeded})
		if _, err := readBody(r, 1<<20, 1<<20); !errors.Is(err, ErrBodyTimeout) {
			t.Errorf("readBody of a stalled body = %v; want ErrBodyTimeout", err)
		}
	})
	// TotalAlloc counts the whole process's: a chunk of slack for what
	// other goroutines (the package's other tests' servers) allocate.
	if n > chunkSize+classStep+chunkSize {
		t.Errorf("reading a chunk and a byte of a declared 1 MiB allocated %d bytes; want at most a chunk and %d", n, classStep)
	}
	big := bytes.Repeat([]byte("y"), 1<<20)
	for _, c := range []struct {
		declared int64
		most     uint64
		what     string
	}{
		{1 << 20, 2*(1<<20) + 2*chunkSize, "the buffers it grew through"},
		{-1, 2*(1<<20) + 2*chunkSize, "its chunks and one copy"},
	} {
		n = alloc(func() {
			b, err := readBody(bytes.NewReader(big), c.declared, 2<<20)
			if err != nil || len(b.Bytes()) != len(big) {
				t.Errorf("readBody(1 MiB, declared %d) = %d bytes, %v", c.declared, len(b.Bytes()), err)
			}
			// not released: a pooled buffer would hide the allocation
		})
		if n > c.most {
			t.Errorf("reading a 1 MiB body (declared %d) allocated %d bytes; want at most %s (%d)", c.declared, n, c.what, c.most)
		}
	}
}

// TestBodyPoolReuse: a released buffer is handed out again for a body of
// its size class, so steady traffic does not allocate per request.
func TestBodyPoolReuse(t *testing.T) {
	data := bytes.Repeat([]byte("z"), 200<<10)
	read := func() body {
		b, err := readBody(bytes.NewReader(data), int64(len(data)), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	allocs := testing.AllocsPerRun(20, func() {
		b := read()
		b.Release()
	})
	// The chunks and the assembled buffer come from the pools; what is
	// left is the slice of chunk pointers.
	if allocs > 3 {
		t.Errorf("%.0f allocations per 200 KiB body read and released; want the buffers reused", allocs)
	}
}

// TestClassSize checks that every size gets a class that holds it, and that
// a buffer given back lands in the pool it came from.
func TestClassSize(t *testing.T) {
	for _, n := range []int{1, minClass, minClass + 1, 4000, chunkSize, chunkSize + 1, classStep, classStep + 1, 1 << 20, 1<<20 + 1, 3 << 20, maxClass, maxClass + 1} {
		size, pool := classSize(n)
		if size < n {
			t.Errorf("classSize(%d) = %d; want at least %d", n, size, n)
		}
		if n <= maxClass {
			if pool == nil {
				t.Errorf("classSize(%d): no pool", n)
			}
			if size2, pool2 := classSize(size); size2 != size || pool2 != pool {
				t.Errorf("classSize(classSize(%d) = %d) = %d; want the same class", n, size, size2)
			}
		} else if pool != nil {
			t.Errorf("classSize(%d) has a pool; want none above %d", n, maxClass)
		}
	}
}

// shortIsUnexpected ends a body of a declared length as net/http does: an
// EOF before the length is io.ErrUnexpectedEOF.
type shortIsUnexpected struct {
	r    io.Reader
	left int64
}

func (s *shortIsUnexpected) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.left -= int64(n)
	if err == io.EOF && s.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
