package consume

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// fetch pulls messages in stream order and hands them to the dispatcher
// until Stop; it closes s.in when it ends. It pulls only while the
// Subscription holds fewer than MaxAckPending messages and fewer ordering
// keys wait for a worker than there are workers, and at most twice the
// workers at a time: it looks ahead past keys held back by a failure, but a
// Subscription that stops has few messages it fetched and never started.
func (s *Subscription) fetch() {
	defer close(s.in)
	pause := time.Duration(0)
	for {
		n, ok := s.room()
		if !ok {
			return
		}
		batch, err := s.cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
		if err == nil {
			for m := range batch.Messages() {
				s.held.Add(1)
				s.in <- m
			}
			err = batch.Error()
		}
		if err == nil {
			pause = 0
			continue
		}
		pause = min(max(2*pause, 100*time.Millisecond), 5*time.Second)
		s.log.Warn("consume: fetch failed", "consumer", s.opts.Durable, "stream", s.opts.Stream, "retry_in", pause, "error", err)
		select {
		case <-s.stopping:
			return
		case <-time.After(pause):
		}
	}
}

// room waits until the fetcher may pull and returns how many messages;
// false once the Subscription is stopping.
func (s *Subscription) room() (int, bool) {
	for {
		select {
		case <-s.stopping:
			return 0, false
		default:
		}
		free := s.opts.MaxAckPending - int(s.held.Load())
		if free > 0 && s.ready.Load() < int64(s.opts.Concurrency) {
			return min(free, 2*s.opts.Concurrency), true
		}
		select {
		case <-s.stopping:
			return 0, false
		case <-s.kick:
		}
	}
}
