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
// takes the rest as removed.
const readWait = 3 * time.Second

// ReadSince calls fn, in stream order, for every message of stream stored
// after the sequence after and up to the stream's last message when it is
// called, and returns that last sequence. Messages that the stream removed
// in between are skipped; once none arrives for readWait the rest is taken
// as removed. A message's ID is its Nats-Msg-Id header; that header is not
// in Message.Header. fn's error stops the reading and is returned. The
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
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(after+1, info.State.FirstSeq)})
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
	if ci, err := cons.Info(ctx); err == nil && ci.NumPending == 0 {
		return last, nil // what was after the sequence is gone
	}
	for {
		msg, err := it.Next(jetstream.NextMaxWait(readWait))
		if errors.Is(err, nats.ErrTimeout) {
			return last, nil // the rest was removed (a purge, a deleted message)
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
		if seq == last || meta.NumPending == 0 {
			return last, nil
		}
	}
}
