package consume

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Headers of a dead letter, besides the original message's own headers
// (its Nats-* headers left out: the original Nats-Msg-Id is in
// HeaderDeadMsgID).
const (
	HeaderDeadReason   = "Hookgate-Dead-Reason"   // ReasonRefused, ReasonPermanent or ReasonMaxDeliver
	HeaderDeadError    = "Hookgate-Dead-Error"    // the error, on one line, cut to 1000 bytes
	HeaderDeadSubject  = "Hookgate-Dead-Subject"  // the original subject
	HeaderDeadStream   = "Hookgate-Dead-Stream"   // the stream read
	HeaderDeadSequence = "Hookgate-Dead-Sequence" // the message's sequence in that stream
	HeaderDeadAttempts = "Hookgate-Dead-Attempts" // calls of the handler (or refusals), all deliveries counted
	HeaderDeadConsumer = "Hookgate-Dead-Consumer" // the durable consumer's name
	HeaderDeadMsgID    = "Hookgate-Dead-Msg-Id"   // the original Nats-Msg-Id
)

// Values of HeaderDeadReason.
const (
	ReasonRefused    = "refused"     // Options.Verify refused the message
	ReasonPermanent  = "permanent"   // the handler returned a Permanent error
	ReasonMaxDeliver = "max-deliver" // the handler failed Options.MaxDeliver times
)

// maxErrorHeader bounds HeaderDeadError.
const maxErrorHeader = 1000

// deadLetter is why an item is dead-lettered, and how often its publish
// failed.
type deadLetter struct {
	reason   string
	err      error
	attempts int
	failures int
	// id is the copy's Nats-Msg-Id, the same for each try of its publish
	// (the stream drops a second copy), and random: a guessable one could
	// be published first by someone else, and the stream would drop the
	// real copy as its duplicate.
	id string
}

// worker handles the items the dispatcher gives it until s.work is closed.
func (s *Subscription) worker() {
	defer s.workers.Done()
	for it := range s.work {
		s.process(it)
		s.results <- it
	}
}

// process handles one item: verifies it, calls the handler and acks, or
// dead-letters and terminates it; it sets it.outcome.
func (s *Subscription) process(it *item) {
	if it.dead == nil {
		it.tries++
		reason, err := s.try(it)
		switch {
		case err == nil:
			if err := it.msg.Ack(); err != nil {
				s.log.Warn("consume: ack failed; the message will come again", "seq", it.seq, "error", err)
			}
			it.outcome = finished
			return
		case reason == "":
			it.err, it.outcome = err, retry
			s.log.Info("consume: handler failed; retrying", "consumer", s.opts.Durable, "subject", it.msg.Subject(),
				"seq", it.seq, "attempt", it.base+it.tries, "retry_in", s.opts.backoff(it.tries), "error", err)
			return
		}
		it.dead = &deadLetter{reason: reason, err: err, attempts: it.base + it.tries,
			id: "dead:" + it.meta.Stream + ":" + s.opts.Durable + ":" + strconv.FormatUint(it.seq, 10) + ":" + rand.Text()}
	}
	if err := s.publishDead(it); err != nil {
		it.dead.failures++
		it.outcome = retryDead
		s.log.Error("consume: dead-letter publish failed; the message stays pending", "consumer", s.opts.Durable,
			"subject", it.msg.Subject(), "seq", it.seq, "dead_letter_subject", s.opts.DeadLetterSubject, "error", err)
		return
	}
	if err := it.msg.TermWithReason("hookgate consume: dead-lettered (" + it.dead.reason + ")"); err != nil {
		s.log.Warn("consume: term failed; the message will come again and be dead-lettered again", "seq", it.seq, "error", err)
	}
	it.outcome = finished
	s.log.Warn("consume: message dead-lettered", "consumer", s.opts.Durable, "subject", it.msg.Subject(), "seq", it.seq,
		"msg_id", headerGet(it.msg.Headers(), headerMsgID), "reason", it.dead.reason, "attempts", it.dead.attempts,
		"dead_letter_subject", s.opts.DeadLetterSubject, "error", it.dead.err)
}

// try verifies the message and calls the handler. It returns the handler's
// error, and a dead-letter reason when it is final.
func (s *Subscription) try(it *item) (reason string, err error) {
	m := it.msg
	if v := s.opts.Verify; v != nil {
		if _, err := v.Verify(headerGet(m.Headers(), headerMsgID), m.Subject(), m.Headers(), m.Data(), it.meta.Timestamp); err != nil {
			s.log.Warn("consume: message refused", "consumer", s.opts.Durable, "subject", m.Subject(), "seq", it.seq,
				"msg_id", headerGet(m.Headers(), headerMsgID), "error", err)
			return ReasonRefused, err
		}
	}
	attempt := it.base + it.tries
	ev := newEvent(m.Subject(), m.Headers(), m.Data(), it.meta.Stream, it.seq, it.meta.Timestamp, attempt)
	switch err := s.call(ev); {
	case err == nil:
		return "", nil
	case isPermanent(err):
		return ReasonPermanent, err
	case attempt >= s.opts.MaxDeliver && s.handlerCx.Err() == nil:
		// (A call cut by Stop's deadline is not the handler's failure:
		// the message is naked, and delivered again.)
		return ReasonMaxDeliver, err
	default:
		return "", err
	}
}

// call calls the handler; a panic is an error wrapping ErrPanic.
func (s *Subscription) call(ev *Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrPanic, r)
		}
	}()
	return s.handler(s.handlerCx, ev)
}

// publishDead publishes the dead-letter copy of an item and waits for the
// stream's acknowledgement. Its Nats-Msg-Id (deadLetter.id) stays the same
// for every try, so that the dead-letter stream drops a second copy when
// an acknowledgement was lost; a term that was lost, though, brings the
// message back to a new delivery, and a second copy with another ID.
func (s *Subscription) publishDead(it *item) error {
	orig := it.msg.Headers()
	h := make(nats.Header, len(orig)+8)
	for k, vs := range orig {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			h[k] = append([]string(nil), vs...)
		}
	}
	h.Set(HeaderDeadReason, it.dead.reason)
	h.Set(HeaderDeadError, oneLine(it.dead.err.Error(), maxErrorHeader))
	h.Set(HeaderDeadSubject, it.msg.Subject())
	h.Set(HeaderDeadStream, it.meta.Stream)
	h.Set(HeaderDeadSequence, strconv.FormatUint(it.seq, 10))
	h.Set(HeaderDeadAttempts, strconv.Itoa(it.dead.attempts))
	h.Set(HeaderDeadConsumer, s.opts.Durable)
	if id := headerGet(orig, headerMsgID); id != "" {
		h.Set(HeaderDeadMsgID, id)
	}
	h.Set(headerMsgID, it.dead.id)
	// The copy is larger than the original: the error is cut to what the
	// server's max_payload leaves room for, down to nothing. (The publish
	// adds the header that names the stream expected.)
	if limit := s.js.Conn().MaxPayload(); limit > 0 {
		size := func() int {
			return headerSize(h) + len(jetstream.ExpectedStreamHeader+": \r\n") + len(s.dlStream) + len(it.msg.Data())
		}
		over := int64(size()) - limit
		if over > 0 {
			e := h.Get(HeaderDeadError)
			h.Set(HeaderDeadError, oneLine(e, max(len(e)-int(over), 0)))
			if over > int64(len(e)) {
				return fmt.Errorf("the dead letter is %d bytes with its headers, %d over the NATS server's max_payload (%d), even without its error",
					size(), over-int64(len(e)), limit)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.handlerCx), publishTimeout)
	defer cancel()
	_, err := s.js.PublishMsg(ctx, &nats.Msg{Subject: s.opts.DeadLetterSubject, Header: h, Data: it.msg.Data()},
		jetstream.WithExpectStream(s.dlStream))
	return err
}

// headerSize is the size of h as NATS sends it, which counts against the
// server's max_payload with the body.
func headerSize(h nats.Header) int {
	n := len("NATS/1.0\r\n") + len("\r\n")
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(": ") + len(v) + len("\r\n")
		}
	}
	return n
}

// oneLine returns s with line breaks as spaces, cut to at most n bytes
// (at a rune boundary).
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
