package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TailOptions configure Tail.
type TailOptions struct {
	URL     string   // NATS server
	Auth    NATSAuth // how to log in (see Config.ClientAuth)
	Subject string   // may hold wildcards
	// Stream, when set, reads the subject from this JetStream stream with
	// an ordered consumer, so what was stored before Tail started can be
	// seen too (with All). Without it Tail subscribes to live messages.
	Stream string
	All    bool // with Stream: start at the stream's first message
	Count  int  // stop after this many messages; 0: run until ctx ends
}

// Tail prints every message that arrives on the subject: its subject, its
// headers sorted by name, and its body, until ctx ends or Count messages
// were printed. It returns nil when stopped by either, and an error when
// the server refuses the subscription (a user not allowed to read the
// subject).
func Tail(ctx context.Context, o TailOptions, w io.Writer) error {
	// The server refuses a subscription asynchronously.
	refused := make(chan error, 1)
	opts := []nats.Option{nats.Name("hookgate-tail"), nats.Timeout(5 * time.Second),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			if errors.Is(err, nats.ErrPermissionViolation) {
				select {
				case refused <- err:
				default:
				}
			}
		})}
	auth, err := o.Auth.Options()
	if err != nil {
		return err
	}
	nc, err := nats.Connect(o.URL, append(opts, auth...)...)
	if err != nil {
		return fmt.Errorf("tail: connect %s: %w", RedactURL(o.URL), err)
	}
	defer nc.Close()

	msgs := make(chan *nats.Msg, 64)
	if o.Stream == "" {
		// A callback subscription queues what the printing has not caught
		// up with in the client (unbounded below), where a channel one
		// would drop a burst.
		sub, err := nc.Subscribe(o.Subject, func(m *nats.Msg) {
			select {
			case msgs <- m:
			case <-ctx.Done():
			}
		})
		if err != nil {
			return fmt.Errorf("tail: subscribe %s: %w", o.Subject, err)
		}
		defer sub.Unsubscribe()
		if err := sub.SetPendingLimits(-1, -1); err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		if err := nc.FlushTimeout(5 * time.Second); err != nil {
			return fmt.Errorf("tail: %w", err)
		}
	} else {
		js, err := jetstream.New(nc)
		if err != nil {
			return fmt.Errorf("tail: %w", err)
		}
		if err := tryConsumer(ctx, js, o, refused); err != nil {
			return err
		}
		policy := jetstream.DeliverNewPolicy
		if o.All {
			policy = jetstream.DeliverAllPolicy
		}
		cons, err := js.OrderedConsumer(ctx, o.Stream, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{o.Subject},
			DeliverPolicy:  policy,
		})
		if err != nil {
			return fmt.Errorf("tail: stream %s: %w", o.Stream, err)
		}
		cc, err := cons.Consume(func(m jetstream.Msg) {
			select {
			case msgs <- &nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}:
			case <-ctx.Done():
			}
		})
		if err != nil {
			return fmt.Errorf("tail: consume %s: %w", o.Stream, err)
		}
		defer cc.Stop()
	}

	for n := 0; o.Count == 0 || n < o.Count; n++ {
		select {
		case <-ctx.Done():
			return nil
		case err := <-refused:
			return fmt.Errorf("tail: %w", err)
		case m := <-msgs:
			printMsg(w, m)
		}
	}
	return nil
}

// tryConsumer creates a consumer of o.Stream filtered on o.Subject, which
// the server deletes once it has been idle for 10 seconds, and returns the
// error if the server refuses it: the ordered consumer of Tail would retry
// a refused creation for ever. (It is not deleted here: a user may be
// allowed to create consumers and not to delete them.)
func tryConsumer(ctx context.Context, js jetstream.JetStream, o TailOptions, refused <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := js.CreateConsumer(ctx, o.Stream, jetstream.ConsumerConfig{
			FilterSubject:     o.Subject,
			AckPolicy:         jetstream.AckNonePolicy,
			InactiveThreshold: 10 * time.Second,
			MemoryStorage:     true,
		})
		done <- err
	}()
	select {
	case err := <-refused:
		cancel()
		<-done
		return fmt.Errorf("tail: stream %s: %w", o.Stream, err)
	case err := <-done:
		if err != nil {
			return fmt.Errorf("tail: stream %s: %w", o.Stream, err)
		}
		return nil
	}
}

func printMsg(w io.Writer, m *nats.Msg) {
	fmt.Fprintf(w, "--- %s\n", m.Subject)
	for _, k := range sortedKeys(http.Header(m.Header)) {
		for _, v := range m.Header[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\n%s\n", m.Data)
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
