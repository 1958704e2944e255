package forward

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ErrRetention is wrapped by [ReadSince] for a stream that does not keep
// its messages by limits.
var ErrRetention = errors.New("forward: stream retention is not limits")

// readWait is how long ReadSince waits for the next message before it
// asks the stream whether any is still stored.
var readWait = 3 * time.Second

// ReadSince calls fn, in stream order, for every message of stream stored
// after the sequence after and up to the stream's last message when it is
// called, and returns that last sequence. Messages that the stream removed
// in between are skipped: when none arrives for readWait and the stream
// holds none up to that last one, the rest is taken as removed. A server
// slow to deliver (a cluster electing the stream's leader) is waited for,
// until ctx ends: taking its messages as removed would skip them. A
// message's ID is its Nats-Msg-Id header; that header is not in
// Message.Header. fn's error stops the reading and is returned. The
// stream must keep its messages by limits (an ordered consumer cannot read
// a work-queue stream): ErrRetention otherwise.
func ReadSince(ctx context.Context, js jetstream.JetStream, stream string, after uint64, fn func(seq uint64, m Message) error) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("forward: read stream %s: %w", stream, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("forward: read stream %s: %w", stream, err)
	}
	if r := info.Config.Retention; r != jetstream.LimitsPolicy {
		return 0, fmt.Errorf("%w: stream %s keeps its messages by %s", ErrRetention, stream, r)
	}
	last := info.State.LastSeq
	if last <= after || info.State.Msgs == 0 {
		return last, nil
	}
	next := max(after+1, info.State.FirstSeq) // the first sequence not read yet
	if more, err := storedUpTo(ctx, s, next, last); err != nil || !more {
		return last, err // what was after the sequence is gone
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: next})
	if err != nil {
		return 0, fmt.Errorf("forward: read stream %s: %w", stream, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return 0, fmt.Errorf("forward: read stream %s: %w", stream, err)
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(readWait))
		if errors.Is(err, nats.ErrTimeout) {
			more, err := storedUpTo(ctx, s, next, last)
			if err != nil {
				return 0, fmt.Errorf("forward: read stream %s after %d: no message for %s, and: %w", stream, next-1, readWait, err)
			}
			if !more {
				return last, nil // the rest was removed (a purge, a deleted message)
			}
			continue // still to come
		}
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				err = ctx.Err()
			}
			return 0, fmt.Errorf("forward: read stream %s after %d: %w", stream, after, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return 0, fmt.Errorf("forward: read stream %s: %w", stream, err)
		}
		seq := meta.Sequence.Stream
		if seq > last {
			return last, nil // stored after the call began
		}
		h := msg.Headers()
		m := Message{ID: h.Get(HeaderMsgID), Subject: msg.Subject(), Body: msg.Data()}
		if len(h) > 0 {
			m.Header = h
			delete(m.Header, HeaderMsgID)
		}
		if err := fn(seq, m); err != nil {
			return 0, err
		}
		next = seq + 1
		if seq == last || meta.NumPending == 0 {
			return last, nil
		}
	}
}

// storedUpTo reports whether the stream still holds a message with a
// sequence from seq to last (asked of the stream, not of a consumer: a
// consumer's pending count leaves out what it has sent and the client not
// yet read).
func storedUpTo(ctx context.Context, s jetstream.Stream, seq, last uint64) (bool, error) {
	m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("forward: read stream: the message at or after %d: %w", seq, err)
	}
	return m.Sequence <= last, nil
}
