package consume

import (
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// The headers the gateway sets on the messages it publishes (see the
// README, "NATS subjects and messages"); consume reads them into an Event.
const (
	headerMsgID           = "Nats-Msg-Id"
	headerProvider        = "Hookgate-Provider"
	headerEventID         = "Hookgate-Event-Id"
	headerEventType       = "Hookgate-Event-Type"
	headerReceivedAt      = "Hookgate-Received-At"
	headerOrderingKey     = "Hookgate-Ordering-Key"
	headerOrderingVersion = "Hookgate-Ordering-Version"
	headerReplay          = "Hookgate-Replay"
	headerStale           = "Hookgate-Stale"
	headerCurrentVersion  = "Hookgate-Current-Version"
	headerRoute           = "Hookgate-Route"
	headerContentType     = "Content-Type"
)

// replaySuffix separates an event's message ID from a replay's ID in the
// Nats-Msg-Id of a message published again by an admin replay:
// "<provider>:<event id>:replay:<replay id>", or for a route's copy
// "<provider>@<route>:<event id>:replay:<replay id>".
const replaySuffix = ":replay:"

// Event is one message of the stream as a handler gets it: the gateway's
// headers read into fields, and the message itself (Subject, Header, Body).
// A handler must not modify Body or Header: a dead-letter copy is made from
// them if the handler fails.
type Event struct {
	ID          string    // Hookgate-Event-Id: the provider's event ID
	Provider    string    // Hookgate-Provider
	Type        string    // Hookgate-Event-Type, as the provider names it (Shopify's "orders/create")
	OrderingKey string    // Hookgate-Ordering-Key: the entity, when ordering applies
	Version     string    // Hookgate-Ordering-Version, the raw header value
	ReceivedAt  time.Time // Hookgate-Received-At; the zero time when absent or not RFC 3339
	ContentType string    // Content-Type: the body's media type, when the request had one
	// Replay is the replay's ID on a message published again by an admin
	// replay (Hookgate-Replay); "" on the original.
	Replay string
	// Stale is true for a stale event forwarded by ordering.stale: forward
	// (Hookgate-Stale), whose entity is at CurrentVersion
	// (Hookgate-Current-Version, raw).
	Stale          bool
	CurrentVersion string
	Route          string // Hookgate-Route: the route whose copy this is; "" on the event's own message

	Subject  string    // the NATS subject
	MsgID    string    // Nats-Msg-Id, with a route's and a replay's suffixes
	Stream   string    // the stream's name
	Sequence uint64    // the message's sequence in the stream
	Stored   time.Time // when the stream stored the message
	// Attempt is 1 for the first call of the handler for this message.
	// It counts the calls of this delivery, plus one for each earlier
	// delivery (the server's count: an instance that died or stopped, a
	// message handed back at a stop before the handler got it). The calls
	// of an earlier delivery are not remembered beyond that one, so a
	// message that failed in an instance that then died gets up to
	// MaxDeliver more calls, and one handed back at stops often enough
	// reaches MaxDeliver with fewer.
	Attempt int
	Header  nats.Header // all the message's headers
	Body    []byte      // the message's body, byte for byte
}

// Key returns the event's idempotency key: the message ID the gateway
// published it under, "<provider>:<event id>", or
// "<provider>@<route>:<event id>" for a route's copy. An admin replay's
// suffix is left out, so that a replay of an event already handled has the
// key of the original (see [Once]). Key returns "" for a message that has
// neither a Nats-Msg-Id nor the Hookgate-Provider and Hookgate-Event-Id
// headers.
func (e *Event) Key() string {
	if e.MsgID != "" {
		if e.Replay != "" {
			return strings.TrimSuffix(e.MsgID, replaySuffix+e.Replay)
		}
		return e.MsgID
	}
	if e.Provider == "" || e.ID == "" {
		return ""
	}
	if e.Route != "" {
		return e.Provider + "@" + e.Route + ":" + e.ID // as the gateway's webhook.CopyID
	}
	return e.Provider + ":" + e.ID
}

// Decode unmarshals a JSON body into v (as encoding/json does). A body whose
// ContentType is set and is not JSON (application/json, or any type ending
// in +json) is not decoded: the error wraps ErrNotJSON and names the type.
func (e *Event) Decode(v any) error {
	if e.ContentType != "" {
		mt, _, err := mime.ParseMediaType(e.ContentType)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return fmt.Errorf("%w: the body is %q", ErrNotJSON, e.ContentType)
		}
	}
	if err := json.Unmarshal(e.Body, v); err != nil {
		return fmt.Errorf("consume: decode event %s: %w", e.Key(), err)
	}
	return nil
}

// newEvent reads a message into an Event. h is cloned, so that a handler
// cannot change what a dead-letter copy holds.
func newEvent(subject string, h nats.Header, body []byte, stream string, seq uint64, stored time.Time, attempt int) *Event {
	get := func(name string) string { return headerGet(h, name) }
	e := &Event{
		ID:             get(headerEventID),
		Provider:       get(headerProvider),
		Type:           get(headerEventType),
		OrderingKey:    get(headerOrderingKey),
		Version:        get(headerOrderingVersion),
		ContentType:    get(headerContentType),
		Replay:         get(headerReplay),
		Stale:          get(headerStale) == "true",
		CurrentVersion: get(headerCurrentVersion),
		Route:          get(headerRoute),
		Subject:        subject,
		MsgID:          get(headerMsgID),
		Stream:         stream,
		Sequence:       seq,
		Stored:         stored,
		Attempt:        attempt,
		Header:         make(nats.Header, len(h)),
		Body:           body,
	}
	if t, err := time.Parse(time.RFC3339Nano, get(headerReceivedAt)); err == nil {
		e.ReceivedAt = t
	}
	for k, vs := range h {
		e.Header[k] = append([]string(nil), vs...)
	}
	return e
}

// headerGet returns the first value of the header name, looked up without
// case as in HTTP (the signature covers names so: see package bussig): the
// name as written, or else any spelling of it.
func headerGet(h nats.Header, name string) string {
	if vs, ok := h[name]; ok {
		if len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	for k, vs := range h {
		if len(vs) > 0 && strings.EqualFold(k, name) {
			return vs[0]
		}
	}
	return ""
}
