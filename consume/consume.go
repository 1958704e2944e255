package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Handler handles one event. A nil error acknowledges the message; an error
// has it tried again after a backoff, up to Options.MaxDeliver calls, and
// an error made with [Permanent] dead-letters it at once. ctx is cancelled
// when [Subscription.Stop]'s context ends before the handler returns.
// Handlers of different ordering keys run concurrently (up to
// Options.Concurrency).
type Handler func(ctx context.Context, ev *Event) error

// fetchWait is how long one pull request waits on the server for messages:
// a Subscription stopping waits for its current one to end (a pull request
// cancelled early would still take messages on the server, which would wait
// out AckWait before going to another instance).
const fetchWait = time.Second

// publishTimeout bounds a dead-letter publish.
const publishTimeout = 5 * time.Second

// Subscription reads a stream through a durable pull consumer and calls a
// handler for its messages (see the package comment for the order, retry
// and dead-letter rules). It runs until Stop; its methods are safe for
// concurrent use.
type Subscription struct {
	js        jetstream.JetStream
	cons      jetstream.Consumer
	opts      Options
	handler   Handler
	log       *slog.Logger
	dlStream  string // the stream that stores opts.DeadLetterSubject
	handlerCx context.Context
	cancel    context.CancelFunc // cancels handlerCx

	in       chan jetstream.Msg // fetcher -> dispatcher; the fetcher closes it
	work     chan *item         // dispatcher -> workers; the dispatcher closes it
	results  chan *item         // workers -> dispatcher
	kick     chan struct{}      // wakes the fetcher when room frees up (capacity 1)
	held     atomic.Int64       // messages fetched and not yet let go
	ready    atomic.Int64       // ordering keys whose next message waits for a worker
	stopping chan struct{}      // closed by Stop
	stopOnce sync.Once
	workers  sync.WaitGroup
	done     chan struct{} // closed when every goroutine has ended
}

// Subscribe creates the durable consumer opts.Durable on opts.Stream, or
// updates it to opts (its filter, ack wait and pending bound), checks that
// a stream stores the dead-letter subject (creating HOOKGATE_DEAD if
// opts.CreateDeadLetterStream is set) and that the consumer cannot read it
// back, and starts calling handler. ctx bounds this setup only (and gives
// the handlers' context its values); the Subscription runs until Stop.
//
// The error wraps ErrOptions, ErrNoDeadLetterStream, ErrDeadLetterLoop, or
// the JetStream API's error (jetstream.ErrStreamNotFound, ...).
func Subscribe(ctx context.Context, js jetstream.JetStream, opts Options, handler Handler) (*Subscription, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: no handler", ErrOptions)
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := js.Stream(ctx, o.Stream)
	if err != nil {
		return nil, fmt.Errorf("consume: stream %s: %w", o.Stream, err)
	}
	if len(o.Subjects) == 0 {
		if o.Subjects = defaultFilters(st.CachedInfo().Config.Subjects); len(o.Subjects) == 0 {
			return nil, fmt.Errorf("%w: stream %s has no subjects besides %s> to read: set Subjects", ErrOptions, o.Stream, internalPrefix)
		}
	}
	dlStream, err := deadLetterStream(ctx, js, &o)
	if err != nil {
		return nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, o.Stream, consumerConfig(&o))
	if err != nil {
		return nil, fmt.Errorf("consume: consumer %s on stream %s: %w", o.Durable, o.Stream, err)
	}
	s := &Subscription{
		js: js, cons: cons, opts: o, handler: handler, log: o.Logger, dlStream: dlStream,
		in:       make(chan jetstream.Msg),
		work:     make(chan *item),
		results:  make(chan *item, o.Concurrency),
		kick:     make(chan struct{}, 1),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	s.handlerCx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.start()
	return s, nil
}

// consumerConfig is the durable consumer Subscribe creates or updates. The
// server redelivers without limit (MaxDeliver -1): the Subscription counts
// the calls and dead-letters a message itself, so that a message is never
// dropped by the server without a dead letter.
func consumerConfig(o *Options) jetstream.ConsumerConfig {
	cfg := jetstream.ConsumerConfig{
		Durable:       o.Durable,
		Description:   "hookgate consume",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: o.MaxAckPending,
	}
	if len(o.Subjects) == 1 {
		// One filter goes in the create request's subject, where a
		// server can allow it per user (see the README, "Locking the bus
		// down").
		cfg.FilterSubject = o.Subjects[0]
	} else {
		cfg.FilterSubjects = o.Subjects
	}
	return cfg
}

// deadLetterStream returns the stream that stores o.DeadLetterSubject,
// after creating it if o.CreateDeadLetterStream says so, and checks that
// the consumer of o cannot read it.
func deadLetterStream(ctx context.Context, js jetstream.JetStream, o *Options) (string, error) {
	name, err := js.StreamNameBySubject(ctx, o.DeadLetterSubject)
	if errors.Is(err, jetstream.ErrStreamNotFound) && o.CreateDeadLetterStream {
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        DeadLetterStream,
			Description: "hookgate consume: dead letters",
			Subjects:    []string{DeadLetterSubjects},
			Storage:     jetstream.FileStorage,
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return "", fmt.Errorf("consume: create the dead-letter stream %s: %w", DeadLetterStream, err)
		}
		name, err = js.StreamNameBySubject(ctx, o.DeadLetterSubject)
	}
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return "", fmt.Errorf("%w: %s (create a stream for it, or set CreateDeadLetterStream)", ErrNoDeadLetterStream, o.DeadLetterSubject)
	case err != nil:
		return "", fmt.Errorf("consume: find the stream of %s: %w", o.DeadLetterSubject, err)
	}
	if name == o.Stream {
		for _, f := range o.Subjects {
			if subjectMatches(f, o.DeadLetterSubject) {
				return "", fmt.Errorf("%w: filter %q matches %s, stored by stream %s", ErrDeadLetterLoop, f, o.DeadLetterSubject, name)
			}
		}
	}
	return name, nil
}

// start starts the fetcher, the dispatcher and the workers.
func (s *Subscription) start() {
	s.workers.Add(s.opts.Concurrency)
	for range s.opts.Concurrency {
		go s.worker()
	}
	go s.fetch()
	go func() {
		s.dispatch()
		s.workers.Wait()
		close(s.done)
	}()
}

// Stop stops the Subscription: it fetches no more, naks the messages it
// holds that no handler has started, in stream order, once its last pull
// request has ended (within a second), so that another instance gets them
// at once rather than after AckWait, and waits for the running handlers,
// whose messages are acknowledged, dead-lettered or naked as their outcome
// says. The later messages of a running handler's key are naked after its
// message, so that they come again in order.
//
// If ctx ends first, Stop cancels the handlers' context and returns
// ctx.Err(); the Subscription's goroutines end when those handlers return
// (see Done). Stop may be called more than once, and concurrently; a
// handler that calls it waits for itself until ctx ends.
func (s *Subscription) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stopping) })
	select {
	case <-s.done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		return ctx.Err()
	}
}

// Done is closed when the Subscription has stopped and every one of its
// goroutines has ended.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// signal wakes the fetcher, without waiting.
func (s *Subscription) signal() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}
