package gateway

import (
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"os"
	"sync"
)

// Request bodies are read into pooled buffers, so that the memory a request
// costs is about its body and the garbage collector does not churn through
// a fresh buffer per request.
//
// A body arrives in chunks of chunkSize, each taken only when the bytes
// before it have arrived: a client that declares a large Content-Length
// and then sends nothing holds one chunk, not the declared size. A body
// that fits one chunk is used in place. A longer one is copied, once it is
// complete, into one buffer of the next size class up from its length (see
// classSize), and its chunks go back to the pool at once: a body costs its
// own length (rounded up to the class) plus, for the moment of the copy,
// the chunks. Nothing doubles while reading.

// chunkSize is the unit a body arrives in, and the largest body used in
// place.
const chunkSize = 16 << 10

// Size classes: powers of two up to chunkSize, then multiples of classStep
// up to 1 MiB (the default max_body), then powers of two up to maxClass.
const (
	minClass  = 512
	classStep = 64 << 10
	maxClass  = 64 << 20
)

// classSize returns the buffer size that holds n bytes, and its pool.
func classSize(n int) (int, *sync.Pool) {
	switch {
	case n <= minClass:
		return minClass, &smallPools[0]
	case n <= chunkSize:
		i := bits.Len(uint(n-1)) - bits.Len(uint(minClass-1)) // 513..1024 → 1, ...
		return minClass << i, &smallPools[i]
	case n <= 1<<20:
		i := (n - 1) / classStep // 16 KiB+1..64 KiB → 0, ..., 1 MiB → 15
		return (i + 1) * classStep, &stepPools[i]
	case n <= maxClass:
		i := bits.Len(uint(n-1)) - 21 // 1 MiB+1..2 MiB → 0, ...
		return 2 << 20 << i, &largePools[i]
	}
	return n, nil // larger than any class: not pooled
}

var (
	smallPools [6]sync.Pool  // 512 B .. 16 KiB
	stepPools  [16]sync.Pool // 64 KiB .. 1 MiB
	largePools [6]sync.Pool  // 2 MiB .. 64 MiB
)

// getBuf returns a pooled buffer of length n.
func getBuf(n int) *[]byte {
	size, pool := classSize(n)
	if pool != nil {
		if p, ok := pool.Get().(*[]byte); ok {
			*p = (*p)[:n]
			return p
		}
	}
	b := make([]byte, n, size)
	return &b
}

// putBuf gives a buffer from getBuf back to its pool.
func putBuf(p *[]byte) {
	if p == nil {
		return
	}
	size, pool := classSize(cap(*p))
	if pool == nil || size != cap(*p) {
		return // not one of ours
	}
	*p = (*p)[:0]
	pool.Put(p)
}

// body is a request body in a pooled buffer. Bytes is valid until Release;
// whatever must outlive the request is copied from it first.
type body struct {
	buf *[]byte
}

// Bytes returns the body.
func (b *body) Bytes() []byte {
	if b.buf == nil {
		return nil
	}
	return *b.buf
}

// Release gives the buffer back. The body must not be used afterwards.
func (b *body) Release() {
	putBuf(b.buf)
	b.buf = nil
}

// readBody reads r to its end, refusing while reading once it passes max,
// so an oversized body is never buffered (see the comment at the top of this
// file for how memory is used). declared is the Content-Length (-1:
// unknown); a body that ends before it is malformed. A read that times out
// (the body deadline) returns ErrBodyTimeout, any other read failure
// ErrMalformed. An empty body has no buffer.
func readBody(r io.Reader, declared, max int64) (body, error) {
	if declared > max {
		return body{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, declared, max)
	}
	if declared == 0 {
		return body{}, nil
	}
	var (
		chunks []*[]byte
		total  int64
	)
	fail := func(err error) (body, error) {
		for _, c := range chunks {
			putBuf(c)
		}
		return body{}, err
	}
	for done := false; !done; {
		size := chunkSize
		if declared >= 0 {
			size = int(min(declared-total, chunkSize))
		} else {
			size = int(min(max+1-total, chunkSize)) // one byte past max tells it is too large
		}
		c := getBuf(size)
		chunks = append(chunks, c)
		n, err := readFull(r, *c)
		*c = (*c)[:n]
		total += int64(n)
		switch {
		case total > max:
			return fail(fmt.Errorf("%w: over %d bytes", ErrTooLarge, max))
		case err == io.EOF:
			done = true
		case err != nil && isTimeout(err):
			return fail(fmt.Errorf("%w: %d bytes arrived in time", ErrBodyTimeout, total))
		case err != nil:
			return fail(fmt.Errorf("%w: reading body: %w", ErrMalformed, err))
		case declared >= 0 && total == declared:
			done = true // net/http ends the body there
		}
	}
	if declared >= 0 && total != declared {
		return fail(fmt.Errorf("%w: the body ended after %d bytes, Content-Length said %d", ErrMalformed, total, declared))
	}
	if len(chunks) == 1 {
		return body{buf: chunks[0]}, nil
	}
	out := getBuf(int(total))
	off := 0
	for _, c := range chunks {
		off += copy((*out)[off:], *c)
		putBuf(c)
	}
	return body{buf: out}, nil
}

// readFull reads into b until it is full or r fails; it returns r's error as
// it is (io.EOF when the body ended), where io.ReadFull would turn an early
// io.EOF into io.ErrUnexpectedEOF.
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// isTimeout reports whether a read failed on its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
