// Package forward moves accepted webhooks from SQLite to NATS.
//
// It owns the transactional outbox: the gateway calls [Enqueue] inside the
// same transaction that records an event, and a [Relay] publishes the
// committed rows in commit order and deletes each row once NATS acknowledged
// it. With [JetStreamPublisher] an acknowledgement means the stream stored
// the message, and the Nats-Msg-Id header (the [Message] ID) lets the
// stream's duplicate window drop a republish after a crash or an outage.
// [CorePublisher] publishes without JetStream (at most once once a row
// leaves the outbox).
//
// Delivery with JetStream: every committed row reaches the stream, in seq
// order, once, as long as a republish happens within the stream's duplicate
// window (default 2 minutes) of the first store: rows are deleted only
// after their ack, and a row published again after a lost ack, an outage or
// a crash between the ack and the delete is dropped by the stream. An ack
// means the server stored the message, not that it reached the disk; see
// [ServerConfig.SyncInterval].
//
// The package also renders subjects from templates ([Subject],
// [ValidateTemplate]), starts an embedded NATS server with JetStream
// ([StartServer]), with users that may only read the stream when asked
// ([ConsumerPermissions]), and creates the stream ([EnsureStream]).
//
// forward imports no other hookgate package.
package forward

import (
	"errors"
	"net/textproto"

	"github.com/nats-io/nats.go"
)

// Header names set by the gateway on every forwarded message. Nats-Msg-Id is
// added from [Message.ID] when a message is published.
const (
	HeaderProvider        = "Hookgate-Provider"
	HeaderEventID         = "Hookgate-Event-Id"
	HeaderEventType       = "Hookgate-Event-Type"
	HeaderReceivedAt      = "Hookgate-Received-At"
	HeaderOrderingKey     = "Hookgate-Ordering-Key"
	HeaderOrderingVersion = "Hookgate-Ordering-Version"
	// HeaderRoute names the route whose copy of an event a message is.
	HeaderRoute = "Hookgate-Route"
	// HeaderStale marks a stale event forwarded (ordering.stale forward),
	// and HeaderCurrentVersion carries its entity's current comparable
	// version, which it is older than.
	HeaderStale          = "Hookgate-Stale"
	HeaderCurrentVersion = "Hookgate-Current-Version"

	// HeaderMsgID is the JetStream de-duplication header, set from
	// [Message.ID] on publish.
	HeaderMsgID = "Nats-Msg-Id"

	// HeaderSignature carries the gateway's signature of a message, added
	// on publish by a publisher's [Signer].
	HeaderSignature = "Hookgate-Signature"
)

// Signer signs a message as it is published: Sign returns the value of its
// HeaderSignature header, over the message's ID, subject, headers (h holds
// them, Nats-Msg-Id included, the signature not yet) and body. It must be
// safe for concurrent use. Package bussig's Signer is one.
type Signer interface {
	Sign(msgID, subject string, h map[string][]string, body []byte) string
}

var (
	// ErrInvalidMessage is wrapped by [Enqueue] when a message cannot be
	// published as it is (no ID, an invalid or reserved subject, a reserved
	// or malformed header). Nothing is written in that case.
	ErrInvalidMessage = errors.New("forward: invalid message")

	// ErrInvalidTemplate is wrapped by [ValidateTemplate].
	ErrInvalidTemplate = errors.New("forward: invalid subject template")

	// ErrClosed is returned by [Relay.Flush] after [Relay.Close].
	ErrClosed = errors.New("forward: relay closed")

	// ErrReconnectBuffer is returned by [NewJetStreamPublisher] when the
	// connection buffers publishes while reconnecting (see its doc comment).
	ErrReconnectBuffer = errors.New("forward: nats connection must disable the reconnect buffer (nats.ReconnectBufSize(-1))")

	// ErrDialer is returned by [NewJetStreamPublisher] when the connection
	// is not dialed by a [Dialer] (see its doc comment).
	ErrDialer = errors.New("forward: nats connection must be dialed by a forward.Dialer of its own (nats.SetCustomDialer)")

	// ErrLookupDenied is wrapped by [JetStreamPublisher.FindStream] when
	// the connection's user may not look streams up
	// ($JS.API.STREAM.NAMES): the server answers a permissions violation,
	// and the lookup would only time out.
	ErrLookupDenied = errors.New("forward: the NATS user may not look up streams ($JS.API.STREAM.NAMES)")

	// ErrReconnected is wrapped by the publishers when the NATS connection
	// was re-established (or is not connected) while messages awaited their
	// acknowledgement: messages written to the old connection may have been
	// lost with it, so they are reported unacknowledged and published again.
	ErrReconnected = errors.New("forward: nats connection lost or re-established during the publish")

	// ErrNoStoreDir is returned by [StartServer] without a store directory.
	ErrNoStoreDir = errors.New("forward: server store dir is required")

	// ErrUsers is wrapped by [StartServer] when a [User] has no name or
	// password, a name is given twice or is [InternalUser], or users come
	// without an internal password.
	ErrUsers = errors.New("forward: embedded server users")

	// ErrServerNotReady is wrapped by [StartServer] when the server does not
	// accept connections in time.
	ErrServerNotReady = errors.New("forward: nats server not ready")
)

// Message is one outbox entry: what will be published to NATS.
type Message struct {
	// ID is the idempotency key, "<provider>:<event id>". It is published
	// as the Nats-Msg-Id header.
	ID string
	// Subject is the NATS subject, usually rendered by [Subject].
	Subject string
	// Header holds the extra headers (Hookgate-* and pass-through ones).
	// Nats-* names are reserved: [Enqueue] rejects them.
	Header nats.Header
	// Body is the provider's raw body, byte for byte.
	Body []byte
}

// MaxHeaderSize is the largest header block JetStream stores: a message
// whose header block (see [Message.HeaderSize]) is larger is refused by the
// stream, whatever the server's max_payload.
const MaxHeaderSize = 1<<16 - 1

// HeaderSize returns the size of m's header block on the wire, the
// Nats-Msg-Id line included: what [Message.Size] counts besides the body.
func (m *Message) HeaderSize() int {
	n := len(headerPreamble) + 2 // preamble and the final CRLF
	n += len(HeaderMsgID) + len(textproto.TrimString(m.ID)) + 4
	for k, vs := range m.Header {
		if k == HeaderMsgID {
			continue // replaced by NATSMsg
		}
		for _, v := range vs {
			n += len(k) + len(textproto.TrimString(v)) + 4 // ": " and CRLF
		}
	}
	return n
}

// Size returns the number of bytes that NATS counts against the server's
// max_payload when m is published: the header block as nats.go writes it on
// the wire ("NATS/1.0\r\n", one "Name: value\r\n" line per value with the
// value trimmed of surrounding white space as nats.go trims it, and a final
// "\r\n"), including the Nats-Msg-Id header that publishing adds from m.ID,
// plus the body. The subject does not count. A message whose Size exceeds
// the connection's MaxPayload() is refused by the client with
// nats.ErrMaxPayload and can never be published while the limit stays below
// it. Size is safe for concurrent use with other readers of m.
func (m *Message) Size() int {
	return m.HeaderSize() + len(m.Body)
}

// MaxStoredRecord is the largest record JetStream's file store takes
// ([Message.RecordSize]): a stream refuses a larger message (nats-server's
// "message too large"), whatever max_payload allows.
const MaxStoredRecord = 32 << 20

// RecordSize returns the size of m's record in a JetStream file store: its
// subject, headers and body ([Message.Size]), and 30 bytes of the record's
// own.
func (m *Message) RecordSize() int {
	return len(m.Subject) + m.Size() + 30
}

// NATSMsg returns m as the NATS message that is published: with
// Nats-Msg-Id set, and signed by signer when it is not nil. It does not
// modify m.Header. [Message.Size] mirrors it (without the signature).
func (m *Message) NATSMsg(signer Signer) *nats.Msg {
	out := new(nats.Msg)
	m.fill(out, signer, []string{m.ID})
	return out
}

// fill makes out the NATS message that m is published as (see NATSMsg),
// reusing out's header map and id, a slice of one element, for the
// Nats-Msg-Id value: a publisher that sends many messages and keeps none
// (nats.go copies a message into its buffer as it is published) fills one.
func (m *Message) fill(out *nats.Msg, signer Signer, id []string) {
	h := out.Header
	if h == nil {
		h = make(nats.Header, len(m.Header)+2)
	} else {
		clear(h)
	}
	for k, v := range m.Header {
		h[k] = v
	}
	id[0] = m.ID
	h[HeaderMsgID] = id
	if signer != nil {
		delete(h, HeaderSignature) // never one of the message's own
		h[HeaderSignature] = []string{signer.Sign(m.ID, m.Subject, h, m.Body)}
	}
	*out = nats.Msg{Subject: m.Subject, Header: h, Data: m.Body}
}
