// Package webhook holds the two types every part of hookgate's decision
// speaks: the Event that the gateway identified in a request, and the
// Outcome that a decider recorded for it. The gateway builds events and
// answers outcomes; a decider (the SQLite store, or another backend) turns
// one into the other.
package webhook

import (
	"strconv"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
)

// Outcome is the decision recorded for an event.
type Outcome int

// Outcomes of a decision.
const (
	Accepted  Outcome = iota + 1 // recorded, and its message queued for the stream
	Duplicate                    // its ID was already processed within its TTL
	Stale                        // older than its entity's last version
)

// String returns "accepted", "duplicate" or "stale" ("unknown" for the
// zero Outcome): the status of the gateway's answer and of the archive.
func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Duplicate:
		return "duplicate"
	case Stale:
		return "stale"
	default:
		return "unknown"
	}
}

// MaxTTL is the longest TTL an event's claim and version may have: 100
// years. Their expiry, now+TTL in Unix nanoseconds, then stays within
// int64 (which ends in the year 2262), in the SQLite store and in the NATS
// server alike. The configuration refuses a longer dedupe.ttl; a decider
// given one keeps the claim for MaxTTL, or until 2262.
const MaxTTL = 100 * 365 * 24 * time.Hour

// Event is everything a decision needs about one request: the idempotency
// key and its TTL, the ordering entity and version, and the message to
// forward when the event is accepted.
type Event struct {
	Provider string
	ID       string // the provider's event ID
	Type     string
	Key      string        // "<provider>:<event id>", the idempotency key
	TTL      time.Duration // how long Key is remembered (and the entity's version)
	// BodyKey, when set, is a second idempotency key with the same TTL:
	// "<provider>#sha256:<hex of the body>" (dedupe.body_hash). The
	// event is a duplicate when either key is live, so that a captured
	// request sent again under a new, unsigned ID is caught.
	BodyKey string
	Ordered bool   // Entity and Version are set: last-writer-wins applies
	Entity  string // "<provider>:<ordering key>"
	Version int64  // comparable version (see package ordering)
	// VersionKind is what Version counts: a version of another kind than
	// the entity's last does not compare with it (ordering.Kind).
	VersionKind ordering.Kind
	DropTies    bool // an equal version is stale, not forwarded
	// Message is what is published when the event is accepted. Its Body is
	// the request's read buffer, valid only while the decision runs: a
	// decider copies what it keeps.
	Message forward.Message
	// Copies are more messages of the event: the copies that the
	// gateway's routes add, each with its own subject and ID (CopyID). They are
	// decided with Message: stored for forwarding together when the event
	// is accepted (in one transaction or one atomic batch), or not at all.
	Copies []forward.Message
	// StaleSubject, when set, is where the event goes if it turns out
	// stale (ordering.stale forward): the decider stores StaleMessage with
	// its claim. Empty: a stale event forwards nothing.
	StaleSubject string
	// Drop means that nothing of the event is forwarded (a route's action
	// drop): it is still decided and recorded (claimed, compared), so that
	// its retries are duplicates.
	Drop bool
}

// CopyID returns the message ID (Nats-Msg-Id) of route's copy of the event
// id of provider: "<provider>@<route>:<event id>". An event's own message
// is "<provider>:<event id>" (Key). Provider and route names hold neither
// '@' nor ':' (package config refuses them), so what comes before the
// first of those two characters tells a copy from an event, and no event
// ID, whatever it holds, gives the ID of a copy: the stream's duplicate
// window, which spans the whole stream, cannot drop one for the other.
func CopyID(provider, route, id string) string {
	return provider + "@" + route + ":" + id
}

// StaleMessage returns the message to forward for a stale event, given
// its entity's current version, and whether there is one: Message on
// StaleSubject, marked Hookgate-Stale with Hookgate-Current-Version. It is
// built only for an event that turned out stale.
func (e *Event) StaleMessage(current int64) (forward.Message, bool) {
	if e.StaleSubject == "" || e.Drop {
		return forward.Message{}, false
	}
	m := e.Message
	m.Subject = e.StaleSubject
	m.Header = make(map[string][]string, len(e.Message.Header)+2)
	for k, v := range e.Message.Header {
		m.Header[k] = v
	}
	m.Header[forward.HeaderStale] = []string{"true"}
	m.Header[forward.HeaderCurrentVersion] = []string{strconv.FormatInt(current, 10)}
	return m, true
}

// StaleHeaderSize is the most that StaleMessage adds to Message's
// headers (forward.Message.HeaderSize).
var StaleHeaderSize = len(forward.HeaderStale+": true\r\n") + len(forward.HeaderCurrentVersion+": -9223372036854775808\r\n")

// Outgoing returns the messages to forward when the event is accepted:
// Copies, then Message; none when Drop is set. The event's own message
// comes last: the stream stores a publisher's messages in order, so once
// it is stored its copies are, and a writer that lost its commit in a
// crash finds the event's claim from that message alone (store.CatchUp).
func (e *Event) Outgoing() []forward.Message {
	if e.Drop {
		return nil
	}
	if len(e.Copies) == 0 {
		return []forward.Message{e.Message}
	}
	return append(append(make([]forward.Message, 0, len(e.Copies)+1), e.Copies...), e.Message)
}
