package forward

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// DefaultAckTimeout is how long a publisher waits for the server by default.
const DefaultAckTimeout = 5 * time.Second

// Publisher sends outbox messages to NATS. The [Relay] calls Publish from
// one goroutine at a time.
type Publisher interface {
	// Publish sends msgs in order with at most window of them awaiting an
	// acknowledgement at a time, and reports how many messages at the front
	// of msgs were acknowledged (Result.Acked). With a nil error all of them
	// were. With an error, Result.Acked < len(msgs) and the messages after
	// the acknowledged prefix may or may not have reached NATS. Publish
	// returns early, with the prefix acknowledged so far, when ctx ends.
	// It must not modify msgs or keep it after returning.
	Publish(ctx context.Context, msgs []Message, window int) (Result, error)
}

// Result is what one [Publisher.Publish] call achieved.
type Result struct {
	// Acked is the length of the acknowledged prefix of the messages.
	Acked int
	// Duplicates counts the acknowledged messages that the stream reported
	// as duplicates (already stored within its duplicate window, so dropped).
	Duplicates int
	// Seq is the stream sequence of the last acknowledged message
	// (JetStream only; for a duplicate, the sequence of the stored copy).
	Seq uint64
}

var (
	_ Publisher = (*JetStreamPublisher)(nil)
	_ Publisher = (*CorePublisher)(nil)
)

// JetStreamPublisher publishes to a JetStream stream with asynchronous
// publishes and waits for every PubAck: an acknowledged message is stored by
// the stream. Each message carries Nats-Msg-Id, so a republish within the
// stream's duplicate window is acknowledged with Duplicate set and not
// stored again; such acks count as success and are counted.
//
// A JetStreamPublisher is safe for concurrent use. It lives as long as its
// connection; closing the connection releases it.
type JetStreamPublisher struct {
	// Signer, when set before the first Publish, signs each message as it
	// is published.
	Signer Signer

	nc   *nats.Conn
	js   jetstream.JetStream
	opts []jetstream.PublishOpt
	dups atomic.Uint64
}

// NewJetStreamPublisher returns a publisher on nc that fails a publish whose
// PubAck did not arrive within ackTimeout (0 means [DefaultAckTimeout]).
//
// nc must be connected with nats.ReconnectBufSize(-1), or
// NewJetStreamPublisher returns [ErrReconnectBuffer]: with a reconnect
// buffer, messages published while the client reconnects are sent after
// the reconnection while an earlier message of the same batch may have been
// lost with the old connection, and the republish would store that earlier
// message after the later ones. Without the buffer a publish during a
// reconnection fails at once, and the relay retries in order. For the same
// reason no-responders errors are not retried inside the client.
func NewJetStreamPublisher(nc *nats.Conn, ackTimeout time.Duration) (*JetStreamPublisher, error) {
	if nc == nil {
		return nil, errors.New("forward: nil nats connection")
	}
	if nc.Opts.ReconnectBufSize != -1 {
		return nil, ErrReconnectBuffer
	}
	if ackTimeout <= 0 {
		ackTimeout = DefaultAckTimeout
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		return nil, fmt.Errorf("forward: jetstream: %w", err)
	}
	return &JetStreamPublisher{
		nc:   nc,
		js:   js,
		opts: []jetstream.PublishOpt{jetstream.WithRetryAttempts(0)},
	}, nil
}

// Duplicates returns how many publishes the stream has acknowledged as
// duplicates since p was created.
func (p *JetStreamPublisher) Duplicates() uint64 { return p.dups.Load() }

// MaxPayload returns the largest message the server accepts, headers
// included, as it announced on connecting: a message whose [Message.Size]
// is above it fails with nats.ErrMaxPayload.
func (p *JetStreamPublisher) MaxPayload() int64 { return p.nc.MaxPayload() }

// Publish implements [Publisher]. On the first failed or timed-out ack it
// stops and returns the prefix acknowledged before it; acks still pending
// for later messages are abandoned (they resolve within the ack timeout).
//
// Once the connection's reconnect count changes during the call, Publish
// publishes nothing more: the messages already published went out on the
// old connection, and one of them may have been lost with it, so a later
// message must not be stored before it. It waits for the acks of those
// messages and returns the acknowledged prefix with an error wrapping
// [ErrReconnected] (or the error of the first failed ack).
func (p *JetStreamPublisher) Publish(ctx context.Context, msgs []Message, window int) (Result, error) {
	if window < 1 {
		window = 1
	}
	var (
		res        Result
		futures    = make([]jetstream.PubAckFuture, len(msgs))
		next       int   // next message to publish
		pubErr     error // why msgs[next] was not published
		reconnects = p.nc.Stats().Reconnects
	)
	for res.Acked < len(msgs) {
		for pubErr == nil && next < len(msgs) && next-res.Acked < window {
			if n := p.nc.Stats().Reconnects; n != reconnects {
				pubErr = fmt.Errorf("forward: publish %q: not sent, %d reconnection(s) since the call began: %w",
					msgs[next].ID, n-reconnects, ErrReconnected)
				break
			}
			f, err := p.js.PublishMsgAsync(msgs[next].NATSMsg(p.Signer), p.opts...)
			if err != nil {
				pubErr = fmt.Errorf("forward: publish %q: %w", msgs[next].ID, err)
				break
			}
			futures[next] = f
			next++
		}
		if res.Acked == next {
			return res, pubErr
		}
		f := futures[res.Acked]
		select {
		case ack := <-f.Ok():
			if ack.Duplicate {
				res.Duplicates++
				p.dups.Add(1)
			}
			res.Seq = max(res.Seq, ack.Sequence)
			futures[res.Acked] = nil
			res.Acked++
		case err := <-f.Err():
			return res, fmt.Errorf("forward: publish %q: %w", msgs[res.Acked].ID, err)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	return res, nil
}

// CorePublisher publishes with core NATS: nc.PublishMsg for a window of
// messages, then a flush (a round trip to the server); the window counts as
// acknowledged once the flush returned on the connection that the window was
// published on. There is no storage and no acknowledgement from
// subscribers: the message reaches the subscribers connected at that
// moment, at most once once its row left the outbox.
//
// When the connection drops, nats.go discards what it had not written yet,
// and a flush issued while it reconnects is answered by the new connection.
// So a window also counts as unacknowledged, with an error wrapping
// [ErrReconnected], if the connection's reconnect count changed between the
// window's first publish and the end of its flush, or if the connection is
// not connected then. Unacknowledged messages stay in the outbox and are
// published again, so a subscriber may see a message twice after a
// reconnection; Nats-Msg-Id lets it drop the repeat.
//
// A CorePublisher is safe for concurrent use. It does not own nc.
type CorePublisher struct {
	// Signer, when set before the first Publish, signs each message as it
	// is published.
	Signer Signer

	nc      *nats.Conn
	timeout time.Duration
}

// NewCorePublisher returns a core NATS publisher on nc whose flushes time
// out after timeout (0 means [DefaultAckTimeout]).
func NewCorePublisher(nc *nats.Conn, timeout time.Duration) *CorePublisher {
	if timeout <= 0 {
		timeout = DefaultAckTimeout
	}
	return &CorePublisher{nc: nc, timeout: timeout}
}

// MaxPayload returns the largest message the server accepts, headers
// included, as it announced on connecting: a message whose [Message.Size]
// is above it fails with nats.ErrMaxPayload.
func (p *CorePublisher) MaxPayload() int64 { return p.nc.MaxPayload() }

// Publish implements [Publisher].
func (p *CorePublisher) Publish(ctx context.Context, msgs []Message, window int) (Result, error) {
	if window < 1 {
		window = 1
	}
	var res Result
	for res.Acked < len(msgs) {
		start, end := res.Acked, min(res.Acked+window, len(msgs))
		reconnects := p.nc.Stats().Reconnects
		if err := p.sameConn(reconnects); err != nil {
			return res, fmt.Errorf("forward: publish %q: %w", msgs[start].ID, err)
		}
		for i := start; i < end; i++ {
			if err := p.nc.PublishMsg(msgs[i].NATSMsg(p.Signer)); err != nil {
				err = fmt.Errorf("forward: publish %q: %w", msgs[i].ID, err)
				// The messages before it count if the connection they were
				// written to answers a flush.
				if i > start && p.sameConn(reconnects) == nil && p.flush(ctx) == nil && p.sameConn(reconnects) == nil {
					res.Acked = i
				}
				return res, err
			}
		}
		if err := p.flush(ctx); err != nil {
			return res, err
		}
		if err := p.sameConn(reconnects); err != nil {
			return res, fmt.Errorf("forward: publish %q..%q: %w", msgs[start].ID, msgs[end-1].ID, err)
		}
		res.Acked = end
	}
	return res, nil
}

// sameConn returns an error wrapping [ErrReconnected] if the connection is
// not connected or has reconnected since its reconnect count was
// reconnects.
func (p *CorePublisher) sameConn(reconnects uint64) error {
	if st := p.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("connection status %v: %w", st, ErrReconnected)
	}
	if n := p.nc.Stats().Reconnects; n != reconnects {
		return fmt.Errorf("%d reconnection(s) since the window was published: %w", n-reconnects, ErrReconnected)
	}
	return nil
}

func (p *CorePublisher) flush(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	if err := p.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("forward: flush: %w", err)
	}
	return nil
}
