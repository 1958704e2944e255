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
// Memory follows the bytes that arrived, never a declared length: a client
// that declares a large body and stalls (until http.body_timeout) holds
// about what it sent. A body with a declared length (Content-Length) is
// read into one chunk, then, while its bytes keep coming, into a buffer
// twice the bytes arrived (at most the declared length, which the last one
// is): a buffer holds at most twice the bytes arrived, or 64 KiB (the
// smallest size class past a chunk). Its bytes are copied at each growth,
// less than the body in all. A body without a declared length (chunked
// transfer encoding) arrives in chunks taken as its bytes come, and is
// copied into one buffer of its size class once complete.

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
	switch {
	case declared > max:
		return body{}, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, declared, max)
	case declared == 0:
		return body{}, nil
	case declared > 0:
		return readDeclared(r, int(declared))
	}
	return readChunked(r, max)
}

// readDeclared reads a body of a declared length n, in a buffer that grows
// with the bytes that arrive (see the top of this file).
func readDeclared(r io.Reader, n int) (body, error) {
	buf := getBuf(min(n, chunkSize))
	got := 0
	for {
		m, err := readFull(r, (*buf)[got:])
		got += m
		if err != nil {
			putBuf(buf)
			return body{}, readError(err, got, n)
		}
		if got == n {
			return body{buf: buf}, nil // net/http ends the body at its declared length
		}
		// Full, and the sender is sending: twice the bytes arrived, and
		// the rest of the size class too.
		next := getBuf(min(n, 2*got))
		*next = (*next)[:min(n, cap(*next))]
		copy(*next, (*buf)[:got])
		putBuf(buf)
		buf = next
	}
}

// readChunked reads a body of unknown length, at most max bytes.
func readChunked(r io.Reader, max int64) (body, error) {
	var (
		chunks []*[]byte
		total  int64
	)
	release := func() {
		for _, c := range chunks {
			putBuf(c)
		}
	}
	for {
		c := getBuf(int(min(max+1-total, chunkSize))) // a byte past max tells it is too large
		chunks = append(chunks, c)
		n, err := readFull(r, *c)
		*c = (*c)[:n]
		total += int64(n)
		if total > max {
			release()
			return body{}, fmt.Errorf("%w: over %d bytes", ErrTooLarge, max)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			release()
			return body{}, readError(err, int(total), -1)
		}
	}
	if len(chunks) == 1 {
		return body{buf: chunks[0]}, nil
	}
	out := getBuf(int(total))
	off := 0
	for _, c := range chunks {
		off += copy((*out)[off:], *c)
	}
	release()
	return body{buf: out}, nil
}

// readError is the error of a body read that failed after got bytes of
// declared (-1: unknown).
func readError(err error, got, declared int) error {
	switch {
	case isTimeout(err):
		return fmt.Errorf("%w: %d bytes arrived in time", ErrBodyTimeout, got)
	case declared >= 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)):
		return fmt.Errorf("%w: the body ended after %d bytes, Content-Length said %d", ErrMalformed, got, declared)
	}
	return fmt.Errorf("%w: reading body: %w", ErrMalformed, err)
}

// readFull reads into b until it is full or r fails; it returns r's error as
// it is (io.EOF when the body ended), where io.ReadFull would turn an early
// io.EOF into io.ErrUnexpectedEOF.
func readFull(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil && (n < len(b) || err != io.EOF) {
			return n, err
		}
	}
	return n, nil // full; an io.EOF that came with the last bytes shows on the next read
}

// isTimeout reports whether a read failed on its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
