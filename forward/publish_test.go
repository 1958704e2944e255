package forward_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
)

// TestJetStreamPublisherAnswers checks each answer a publish can get: the
// acknowledged prefix comes back with the error of the first message that
// failed, and the messages after it are not stored.
func TestJetStreamPublisherAnswers(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{
		Name: "SMALL", Subjects: []string{"small.>"}, MaxMsgSize: 100}); err != nil {
		t.Fatal(err)
	}
	// A core subscriber that never answers: the publish finds a listener,
	// and no acknowledgement comes.
	if _, err := nc.Subscribe("silent.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	// A core service that answers with the body it got: whatever it says
	// is not the stream's.
	if _, err := nc.Subscribe("echo.>", func(m *nats.Msg) { m.Respond(m.Data) }); err != nil {
		t.Fatal(err)
	}
	// The "no answer" case waits out the ack timeout; the stream answers
	// the others well within it, even on a busy machine.
	p := mustJSPublisher(t, nc, 2*time.Second)

	with := func(subject string, body string) forward.Message {
		m := testMessage(90)
		m.ID, m.Subject, m.Body = "shop:"+subject, subject, []byte(body)
		return m
	}
	tests := []struct {
		name    string
		failing forward.Message
		is      func(error) bool
		refused bool
	}{
		{"no stream", with("elsewhere.orders", "{}"),
			func(err error) bool { return errors.Is(err, jetstream.ErrNoStreamResponse) }, true},
		{"the stream refuses", with("small.orders", strings.Repeat("x", 200)),
			func(err error) bool {
				var api *jetstream.APIError
				return errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum
			}, true},
		{"no answer", with("silent.orders", "{}"),
			func(err error) bool { return errors.Is(err, jetstream.ErrAsyncPublishTimeout) }, false},
		{"an answer that is not the stream's", with("echo.orders", `{"seq":7}`),
			func(err error) bool { return errors.Is(err, jetstream.ErrInvalidJSAck) }, false},
		{"an error without a code", with("echo.orders", `{"error":{"description":"refused"}}`),
			func(err error) bool {
				var api *jetstream.APIError
				return errors.As(err, &api) && api.Description == "refused"
			}, true},
	}
	next := 0
	var stored []forward.Message
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok := []forward.Message{testMessage(next), testMessage(next + 1)}
			after := testMessage(next + 2)
			next += 3
			res, err := p.Publish(t.Context(), []forward.Message{ok[0], ok[1], tt.failing, after}, 4)
			if res.Acked != 2 || !tt.is(err) {
				t.Fatalf("Publish = %+v, %v; want 2 acknowledged, then the %s error", res, err, tt.name)
			}
			if res.Sent != 4 {
				t.Errorf("Publish sent %d; want 4 (the window let all go before the failing ack)", res.Sent)
			}
			if !strings.Contains(err.Error(), tt.failing.ID) {
				t.Errorf("error %q does not name the message %s", err, tt.failing.ID)
			}
			if got := forward.Refused(err); got != tt.refused {
				t.Errorf("Refused(%v) = %v; want %v", err, got, tt.refused)
			}
			stored = append(stored, ok...)
			// The message after the failing one may have been stored
			// (the window let it go): publish it again so the stream
			// ends as the list says; a stored copy is a duplicate.
			if _, err := p.Publish(t.Context(), []forward.Message{after}, 1); err != nil {
				t.Fatalf("Publish(after) = %v", err)
			}
			stored = append(stored, after)
		})
	}
	checkStream(t, js, stored)
}

// TestJetStreamPublisherConcurrent publishes from several goroutines at
// once (the writer and the relay share one publisher): every message is
// acknowledged by its own call, with its own sequence.
func TestJetStreamPublisherConcurrent(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	p := mustJSPublisher(t, nc, 0)
	const callers, calls, batch = 4, 20, 7
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seqs = map[uint64]bool{}
		errs []error
	)
	for c := range callers {
		wg.Go(func() {
			for k := range calls {
				msgs := messages((c*calls+k)*batch, (c*calls+k+1)*batch)
				res, err := p.Publish(t.Context(), msgs, 3)
				mu.Lock()
				if err != nil || res.Acked != batch || res.Sent != batch || res.Duplicates != 0 {
					errs = append(errs, fmt.Errorf("caller %d call %d: %+v, %v", c, k, res, err))
				}
				seqs[res.Seq] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if len(seqs) != callers*calls {
		t.Errorf("%d distinct last sequences for %d calls: calls were answered with each other's acknowledgements", len(seqs), callers*calls)
	}
	info, err := js.Stream(t.Context(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != callers*calls*batch {
		t.Errorf("stream holds %d messages; want %d", n, callers*calls*batch)
	}
}

// TestJetStreamPublisherDisconnect cuts the connection while a batch waits
// for its acknowledgements: Publish gives up on them when the connection
// drops, not after the ack timeout, and the batch published again after
// the reconnection is stored once.
func TestJetStreamPublisherDisconnect(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	js := mustJetStream(t, mustConn(t, s.ClientURL()))
	proxy := mustProxy(t, s.Addr().String())
	nc := mustConn(t, proxy.url(), nats.IgnoreDiscoveredServers())
	const ackTimeout = time.Minute
	p := mustJSPublisher(t, nc, ackTimeout)
	if _, err := p.Publish(t.Context(), messages(0, 1), 1); err != nil {
		t.Fatalf("Publish before the cut = %v", err)
	}

	msgs := messages(1, 201)
	proxy.armed.Store(true)
	start := time.Now()
	res, err := p.Publish(t.Context(), msgs, len(msgs))
	took := time.Since(start)
	if !errors.Is(err, nats.ErrDisconnected) {
		t.Fatalf("Publish across the cut = %+v, %v; want an error wrapping nats.ErrDisconnected", res, err)
	}
	if took > ackTimeout/2 {
		t.Errorf("Publish took %v to notice the cut: it waited for the ack timeout", took)
	}
	if proxy.drops.Load() != 1 {
		t.Fatalf("the proxy cut %d connections; want 1", proxy.drops.Load())
	}

	// Again, once reconnected: everything after the acknowledged prefix.
	deadline := time.Now().Add(20 * time.Second)
	for rest := msgs[res.Acked:]; len(rest) > 0; {
		r, err := p.Publish(t.Context(), rest, len(rest))
		rest = rest[r.Acked:]
		if err != nil && time.Now().After(deadline) {
			t.Fatalf("Publish after the cut: %v", err)
		}
	}
	checkStream(t, js, messages(0, 201))
}

// TestJetStreamPublisherSecondAnswer has a core subscriber answer every
// message besides the stream: only the first answer to a message counts,
// and the second takes no other message's place (every call completes,
// none waits for its ack timeout).
func TestJetStreamPublisherSecondAnswer(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	other := mustConn(t, s.ClientURL())
	if _, err := other.Subscribe("webhooks.>", func(m *nats.Msg) {
		m.Respond([]byte(`{"stream":"WEBHOOKS","seq":1}`))
	}); err != nil {
		t.Fatal(err)
	}
	if err := other.Flush(); err != nil {
		t.Fatal(err)
	}
	p := mustJSPublisher(t, nc, 5*time.Second)
	const calls, batch = 20, 50
	for k := range calls {
		msgs := messages(k*batch, (k+1)*batch)
		if res, err := p.Publish(t.Context(), msgs, batch); err != nil || res.Acked != batch {
			t.Fatalf("call %d: Publish = %+v, %v; want all %d acknowledged", k, res, err, batch)
		}
	}
	// The other answer may come first, before the stream stored the
	// message (the publisher cannot tell it from the stream's): wait for
	// the stream to hold the last call's messages too.
	stream, err := js.Stream(t.Context(), "WEBHOOKS")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := stream.Info(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs >= calls*batch || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	checkStream(t, js, messages(0, calls*batch))
}

// TestJetStreamPublisherContext ends a call whose acknowledgements do not
// come by its context, long before the ack timeout.
func TestJetStreamPublisherContext(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	mustJetStream(t, nc)
	if _, err := nc.Subscribe("silent.>", func(*nats.Msg) {}); err != nil {
		t.Fatal(err)
	}
	p := mustJSPublisher(t, nc, time.Hour)
	m := testMessage(1)
	m.Subject = "silent.orders"
	// Long enough for the stream to answer the first message on a busy
	// machine; the second is never answered.
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	res, err := p.Publish(ctx, []forward.Message{testMessage(0), m}, 2)
	if res.Acked != 1 || res.Sent != 2 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish = %+v, %v; want both sent, the first acknowledged, then the context's error", res, err)
	}
}

// cancelingSigner cancels its context as it signs the message with the
// ID at.
type cancelingSigner struct {
	at     string
	cancel context.CancelFunc
}

func (s cancelingSigner) Sign(msgID, _ string, _ map[string][]string, _ []byte) string {
	if msgID == s.at {
		s.cancel()
	}
	return "sig"
}

// TestJetStreamPublisherContextEnds: once the context ends, nothing more
// is sent, and the acknowledgements of what was sent are still counted:
// reported unacknowledged, the caller (the relay at shutdown) would send
// those messages again, maybe after the stream's duplicate window.
func TestJetStreamPublisherContextEnds(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	js := mustJetStream(t, nc)
	p := mustJSPublisher(t, nc, 0)
	msgs := messages(0, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p.Signer = cancelingSigner{at: msgs[4].ID, cancel: cancel}
	res, err := p.Publish(ctx, msgs, len(msgs))
	if res.Sent != 5 || res.Acked != 5 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Publish = %+v, %v; want 5 sent (the one signed as the context ended the last), 5 acknowledged, context.Canceled", res, err)
	}
	if n := len(streamMsgs(t, js)); n != 5 {
		t.Errorf("the stream holds %d messages; want 5", n)
	}
}

// TestCorePublisherRefusalAfterUnconfirmed: a message the client refuses
// (over max_payload) after others of its window that the connection has
// not confirmed yet (here the flush fails: the context ended) is not
// reported as a refusal: the relay would count it against the first
// message of the window, and park that one.
func TestCorePublisherRefusalAfterUnconfirmed(t *testing.T) {
	s := mustServer(t, forward.ServerConfig{})
	nc := mustConn(t, s.ClientURL())
	msgs := messages(0, 3)
	msgs[2].Body = make([]byte, nc.MaxPayload()+1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p := forward.NewCorePublisher(nc, 0)
	p.Signer = cancelingSigner{at: msgs[2].ID, cancel: cancel}
	res, err := p.Publish(ctx, msgs, len(msgs))
	if err == nil || res.Acked != 0 {
		t.Fatalf("Publish = %+v, %v; want none acknowledged and an error", res, err)
	}
	if forward.Refused(err) {
		t.Errorf("Refused(%v) = true; want false: the refused message is not the first unacknowledged one", err)
	}
	// Confirmed, the same refusal is the third message's.
	p.Signer = nil
	res, err = p.Publish(t.Context(), msgs, len(msgs))
	if res.Acked != 2 || !forward.Refused(err) || !strings.Contains(err.Error(), msgs[2].ID) {
		t.Errorf("Publish = %+v, %v; want 2 acknowledged, then a refusal naming %s", res, err, msgs[2].ID)
	}
}
