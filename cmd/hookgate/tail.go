package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
)

func defineTail(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "", "config `FILE` (takes the NATS address and credentials from it, not the stream: give -stream)")
	var o tailOptions
	fs.StringVar(&o.URL, "nats", "", "NATS `URL` (default nats://127.0.0.1:4222)")
	fs.StringVar(&o.Stream, "stream", "", "read from the JetStream stream `NAME` (default: live messages only)")
	fs.BoolVar(&o.All, "all", false, "with -stream: start from the stream's first message")
	fs.IntVar(&o.Count, "count", 0, "exit after `N` messages")
	user := fs.String("user", "", "NATS `USER` (default with -config: the first of nats.users, or nats.user with nats.url)")
	password := fs.String("password", "", "NATS `PASSWORD` (default with -config and -user: that user's in nats.users)")
	var keys stringsFlag
	fs.Var(&keys, "verify-key", "verify each message's Hookgate-Signature with the public key `FILE` (repeatable: any of them); refuse unsigned and forged messages")
	return func(ctx context.Context, stdout, stderr io.Writer) error {
		if fs.NArg() != 1 {
			return fmt.Errorf("%w: tail takes one SUBJECT (wildcards allowed, e.g. 'webhooks.>')", errUsage)
		}
		o.Subject = fs.Arg(0)
		switch {
		case *password != "" && *user == "":
			return fmt.Errorf("%w: -password needs -user", errUsage)
		case *user != "" && *password == "" && *path == "":
			return fmt.Errorf("%w: -user needs -password, or -config with the user in nats.users", errUsage)
		}
		stream := "" // the config's, for the -all error
		if *path != "" {
			cfg, err := config.LoadClient(*path) // not the providers' secrets: tail runs where they are not
			if err != nil {
				return err
			}
			if o.URL == "" {
				o.URL = cfg.NATSClientURL()
			}
			stream = cfg.NATS.Stream
			if o.Auth, err = cfg.ClientAuth(*user, *password); err != nil {
				// A -user the config lacks: bad usage, as a -provider is.
				return &exitError{2, "hookgate: " + err.Error()}
			}
		} else if *user != "" {
			o.Auth = config.NATSAuth{User: *user, Password: *password}
		}
		if o.URL == "" {
			o.URL = "nats://127.0.0.1:4222"
		}
		if o.All && o.Stream == "" {
			if stream != "" {
				return fmt.Errorf("%w: -all needs -stream (this config's stream is %s)", errUsage, stream)
			}
			return fmt.Errorf("%w: -all needs -stream", errUsage)
		}
		if len(keys) > 0 {
			var err error
			if o.Verify, err = loadVerifier(keys); err != nil {
				return err
			}
		}
		o.Log = stderr
		return tail(ctx, o, stdout)
	}
}

// tailOptions configure tail.
type tailOptions struct {
	URL     string          // NATS server
	Auth    config.NATSAuth // how to log in (see config.Config.ClientAuth)
	Subject string          // may hold wildcards
	// Stream, when set, reads the subject from this JetStream stream with
	// an ordered consumer, so what was stored before tail started can be
	// seen too (with All). Without it tail subscribes to live messages.
	Stream string
	All    bool // with Stream: start at the stream's first message
	Count  int  // stop after this many messages; 0: run until ctx ends
	// Verify, when set, checks each message's signature: a message that
	// fails is printed as one REFUSED line (no headers, no body), and
	// tail ends with an error counting them.
	Verify *bussig.Verifier
	// Log, when set, is told when the connection to NATS is lost and when
	// it is back.
	Log io.Writer
	// natsOptions come after tail's own (tests: a short reconnect wait).
	natsOptions []nats.Option
}

// loadVerifier reads the public key files of -verify-key.
func loadVerifier(files []string) (*bussig.Verifier, error) {
	keys := make([]ed25519.PublicKey, 0, len(files))
	for _, f := range files {
		k, err := bussig.LoadPublicKey(f)
		if err != nil {
			return nil, fmt.Errorf("-verify-key: %w", err)
		}
		keys = append(keys, k)
	}
	return bussig.NewVerifier(keys...)
}

// tailMsg is a message and, read from a stream, when the stream stored it.
type tailMsg struct {
	*nats.Msg
	stored time.Time
}

// tail prints every message that arrives on the subject: its subject, its
// headers sorted by name, and its body, until ctx ends or Count messages
// were printed. It returns nil when stopped by either (an error when
// Verify refused messages), and an error when the server refuses the
// subscription (a user not allowed to read the subject) or the connection
// is closed for good. A lost connection is retried for ever (every 2 s),
// and said on Log when lost and when back: a server that is down must not
// look like a subject without traffic; live messages published meanwhile
// are missed, a stream's are read once the ordered consumer is back.
func tail(ctx context.Context, o tailOptions, w io.Writer) error {
	// The server refuses a subscription asynchronously.
	refused := make(chan error, 1)
	// The connection's callbacks run on the client's goroutine: what they
	// say is printed by the loop below, so nothing is written after tail
	// returns.
	events := make(chan string, 16)
	note := func(s string) {
		select {
		case events <- s:
		default:
		}
	}
	closed := make(chan struct{})
	server := config.RedactURL(o.URL)
	opts := []nats.Option{nats.Name("hookgate-tail"), nats.Timeout(5 * time.Second),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: closed by tail
				note(fmt.Sprintf("hookgate tail: disconnected from NATS %s (%v); reconnecting", server, err))
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			note("hookgate tail: reconnected to NATS " + nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
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
	opts = append(append(opts, auth...), o.natsOptions...)
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return fmt.Errorf("tail: connect %s: %w", server, err)
	}
	defer nc.Close()
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}

	msgs := make(chan tailMsg, 64)
	subscribe := subscribeLive
	if o.Stream != "" {
		subscribe = consumeStream
	}
	stop, err := subscribe(ctx, nc, o, refused, msgs)
	if err != nil {
		return err
	}
	defer stop()

	forged := 0
	for n := 0; o.Count == 0 || n < o.Count; {
		select {
		case <-ctx.Done():
			return forgedErr(forged)
		case err := <-refused:
			return fmt.Errorf("tail: %w", err)
		case s := <-events:
			fmt.Fprintln(logw, s)
		case <-closed:
			for len(events) > 0 {
				fmt.Fprintln(logw, <-events)
			}
			err := nc.LastError()
			if err == nil {
				err = nats.ErrConnectionClosed
			}
			return fmt.Errorf("tail: the connection to NATS %s is closed, not retried (%w)", server, err)
		case m := <-msgs:
			n++
			if o.Verify != nil {
				if _, err := o.Verify.Verify(m.Header.Get("Nats-Msg-Id"), m.Subject, m.Header, m.Data, m.stored); err != nil {
					fmt.Fprintf(w, "--- %s REFUSED: %v\n", m.Subject, err)
					forged++
					continue
				}
			}
			printMsg(w, m.Msg)
		}
	}
	return forgedErr(forged)
}

// forgedErr is tail's error after n refused messages (nil for none).
func forgedErr(n int) error {
	if n == 0 {
		return nil
	}
	return fmt.Errorf("tail: %d message(s) refused: their signature did not verify", n)
}

// subscribeLive subscribes to o.Subject's live messages, sending them to
// msgs until ctx ends; stop unsubscribes.
func subscribeLive(ctx context.Context, nc *nats.Conn, o tailOptions, _ <-chan error, msgs chan<- tailMsg) (stop func(), err error) {
	// A callback subscription queues what the printing has not caught up
	// with in the client (unbounded below), where a channel one would drop
	// a burst.
	sub, err := nc.Subscribe(o.Subject, func(m *nats.Msg) {
		select {
		case msgs <- tailMsg{Msg: m}:
		case <-ctx.Done():
		}
	})
	if err != nil {
		return nil, fmt.Errorf("tail: subscribe %s: %w", o.Subject, err)
	}
	stop = func() { sub.Unsubscribe() }
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		stop()
		return nil, fmt.Errorf("tail: %w", err)
	}
	if err := nc.FlushTimeout(5 * time.Second); err != nil {
		stop()
		return nil, fmt.Errorf("tail: %w", err)
	}
	return stop, nil
}

// tailIdle is how long the server keeps a consumer of tail's that no one
// reads: tail deletes its consumers when it ends, and this bounds what is
// left when it could not (killed, or a user not allowed to delete).
const tailIdle = 10 * time.Second

// consumeStream reads o.Subject from the stream o.Stream with an ordered
// consumer (from its first message with o.All, else from now), sending
// the messages to msgs until ctx ends; stop ends the consumer and deletes
// it.
func consumeStream(ctx context.Context, nc *nats.Conn, o tailOptions, refused <-chan error, msgs chan<- tailMsg) (stop func(), err error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("tail: %w", err)
	}
	probe, err := tryConsumer(ctx, js, o, refused)
	if err != nil {
		return nil, err
	}
	policy := jetstream.DeliverNewPolicy
	if o.All {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := js.OrderedConsumer(ctx, o.Stream, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{o.Subject},
		DeliverPolicy:     policy,
		InactiveThreshold: tailIdle, // the library's default is 5 minutes
	})
	if err != nil {
		deleteConsumers(js, o.Stream, refused, probe)
		return nil, fmt.Errorf("tail: stream %s: %w", o.Stream, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var stored time.Time
		if md, err := m.Metadata(); err == nil {
			stored = md.Timestamp
		}
		select {
		case msgs <- tailMsg{&nats.Msg{Subject: m.Subject(), Header: m.Headers(), Data: m.Data()}, stored}:
		case <-ctx.Done():
		}
	})
	if err != nil {
		deleteConsumers(js, o.Stream, refused, probe)
		return nil, fmt.Errorf("tail: consume %s: %w", o.Stream, err)
	}
	return func() {
		cc.Stop()
		names := []string{probe}
		if info := cons.CachedInfo(); info != nil {
			names = append(names, info.Name)
		}
		deleteConsumers(js, o.Stream, refused, names...)
	}, nil
}

// deleteConsumers deletes tail's consumers of stream as it ends, within 2
// seconds in all, and stops at the first that the server refuses (a user
// allowed to create consumers but not to delete them): those go once idle
// for tailIdle.
func deleteConsumers(js jetstream.JetStream, stream string, refused <-chan error, names ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, name := range names {
		done := make(chan struct{})
		go func() {
			js.DeleteConsumer(ctx, stream, name)
			close(done)
		}()
		select {
		case <-done:
		case <-refused:
			cancel()
			<-done
			return
		}
	}
}

// tryConsumer creates a consumer of o.Stream filtered on o.Subject, which
// the server deletes once it has been idle for tailIdle, and returns its
// name, or the error if the server refuses it: the ordered consumer of
// tail would retry a refused creation for ever.
func tryConsumer(ctx context.Context, js jetstream.JetStream, o tailOptions, refused <-chan error) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	type result struct {
		name string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		c, err := js.CreateConsumer(ctx, o.Stream, jetstream.ConsumerConfig{
			FilterSubject:     o.Subject,
			AckPolicy:         jetstream.AckNonePolicy,
			InactiveThreshold: tailIdle,
			MemoryStorage:     true,
		})
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{name: c.CachedInfo().Name}
	}()
	select {
	case err := <-refused:
		cancel()
		<-done
		return "", fmt.Errorf("tail: stream %s: %w", o.Stream, err)
	case r := <-done:
		if r.err != nil {
			return "", fmt.Errorf("tail: stream %s: %w", o.Stream, r.err)
		}
		return r.name, nil
	}
}

// printMsg prints a message's subject, its headers sorted by name, and
// its body.
func printMsg(w io.Writer, m *nats.Msg) {
	fmt.Fprintf(w, "--- %s\n", m.Subject)
	for _, k := range slices.Sorted(maps.Keys(m.Header)) {
		for _, v := range m.Header[k] {
			fmt.Fprintf(w, "%s: %s\n", k, v)
		}
	}
	fmt.Fprintf(w, "\n%s\n", m.Data)
}
