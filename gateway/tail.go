package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TailOptions configure Tail.
type TailOptions struct {
	URL       string // NATS server
	CredsFile string
	Subject   string // may hold wildcards
	// Stream, when set, reads the subject from this JetStream stream with
	// an ordered consumer, so what was stored before Tail started can be
	// seen too (with All). Without it Tail subscribes to live messages.
	Stream string
	All    bool // with Stream: start at the stream's first message
	Count  int  // stop after this many messages; 0: run until ctx ends
}

// Tail prints every message that arrives on the subject: its subject, its
// headers sorted by name, and its body, until ctx ends or Count messages
// were printed. It returns nil when stopped by either.
func Tail(ctx context.Context, o TailOptions, w io.Writer) error {
	opts := []nats.Option{nats.Name("hookgate-tail"), nats.Timeout(5 * time.Second)}
	if o.CredsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredsFile))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return fmt.Errorf("tail: connect %s: %w", o.URL, err)
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
		case m := <-msgs:
			printMsg(w, m)
		}
	}
	return nil
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
