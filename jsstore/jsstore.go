// Package jsstore decides events in a JetStream stream: the backend that
// lets several hookgate instances share one set of dedupe claims and
// entity versions (storage.backend: jetstream), with one durable write per
// event.
//
// The stream holds, beside the events on their own subjects, two internal
// subject spaces: a claim per event ID on ClaimPrefix.<provider>.<hash>, and
// the last version of each ordered entity on VersionPrefix.<provider>.<hash>
// (with dedupe.body_hash, a second claim per event, of its body's hash).
// A decision reads the entity's last version (a direct get), then publishes
// one atomic batch: the claim, expecting no message on its subject and
// living for the dedupe TTL (Nats-TTL); the new version, expecting the
// sequence it read and rolling up the subject; and the event, with its
// Nats-Msg-Id. Either all three are stored or none: a refused expectation
// means another request decided first, and the decision is made again from
// what it stored (a duplicate, a stale event, or a new try). A stale event
// publishes its claim alone, so that its retries are duplicates, as with
// the SQLite store. An answer comes only after the stream acknowledged the
// batch (on a cluster: a quorum of its replicas stored it).
//
// jsstore imports no other hookgate package but webhook, for the event and
// its outcome, and the leaves it names: forward for the messages, and
// ordering for the kinds of versions.
package jsstore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/ordering"
	"github.com/hookgate/hookgate/webhook"
)

// The internal subject spaces of the stream.
const (
	ClaimPrefix   = "_hg.claim"
	VersionPrefix = "_hg.ver"
)

// Subjects are the internal subjects the stream must hold besides the
// events' own.
var Subjects = []string{ClaimPrefix + ".>", VersionPrefix + ".>"}

// Errors of a decision. Nothing was recorded for the event when Decide
// returns one, with one exception: when the stream's acknowledgement did
// not arrive in time (ErrUnavailable), the stream may have stored the
// batch after all. The sender's retry is then a duplicate, and the event
// is on the stream once.
var (
	// ErrUnavailable means the stream did not answer in time or refused
	// the batch for a reason that may pass (no leader, no quorum, too many
	// batches in flight, a timeout): the sender should retry.
	ErrUnavailable = errors.New("jsstore: stream unavailable")
	// ErrContended means other requests for the same entity decided first
	// again and again; the sender should retry.
	ErrContended = errors.New("jsstore: entity contended")
	// ErrRefused means the stream refused the batch for a reason that will
	// not pass by retrying (the event's message is too large for it, a
	// subject it does not take). The error wraps the stream's own
	// (*jetstream.APIError; nats.ErrNoResponders for a subject no stream
	// takes) and, for a message before the batch's last, names it.
	ErrRefused = errors.New("jsstore: refused by the stream")
)

// JetStream's error codes that a decision reads.
const (
	// wrongLastSequence is a refused expectation
	// (Nats-Expected-Last-Subject-Sequence); wrongLastSequenceInFlight
	// is one the stream cannot check yet, because another batch writing
	// the subject is still in flight (on a replicated stream, proposed and
	// not yet applied): in both, another request is deciding the event or
	// the entity.
	wrongLastSequence         = 10071
	wrongLastSequenceInFlight = 10164
	// duplicateInBatch is a batch whose message's Nats-Msg-Id the stream
	// holds within its duplicate window: the event is already on the
	// stream (sent by the relay, or by a replay), so it is a duplicate.
	duplicateInBatch = 10201
	// tooManyBatches is a stream with as many atomic batches open as it
	// allows, and incompleteBatch a batch the stream did not get whole (a
	// message lost on a reconnect or a leader change, or the batch's
	// start refused): nothing was stored.
	tooManyBatches  = 10210
	incompleteBatch = 10176
)

// DefaultTimeout bounds a decision when Decider.Timeout is not set.
const DefaultTimeout = 5 * time.Second

// Decider decides events in one stream. Make it with New; it is safe for
// concurrent use.
type Decider struct {
	js     jetstream.JetStream
	stream jetstream.Stream
	// Timeout bounds a decision: its reads, its batches' acks, and its
	// tries again while other requests for the entity decide first
	// (default DefaultTimeout). Past it the decision fails with
	// ErrUnavailable, or ErrContended when others kept deciding first.
	Timeout time.Duration
	// Signer, when set before the first Decide, signs the event messages
	// (not the claims and versions, which consumers never see).
	Signer forward.Signer

	ttl atomic.Int64 // the longest claim TTL the stream must keep (New, Allow)
}

// ErrUnsupported means the stream (or its server) cannot hold the
// decisions; the error says what is missing.
var ErrUnsupported = errors.New("jsstore: the stream cannot hold the decisions")

// New returns a Decider on the stream named name, after checking that it
// has what the decisions need (see Check), for claims of up to ttl, the
// longest dedupe TTL of the events it will decide. An error wraps
// ErrUnsupported and names everything missing.
func New(ctx context.Context, js jetstream.JetStream, name string, ttl time.Duration) (*Decider, error) {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("jsstore: stream %s: %w", name, err)
	}
	if err := Check(st.CachedInfo().Config, ttl); err != nil {
		return nil, err
	}
	d := &Decider{js: js, stream: st}
	d.ttl.Store(int64(ttl))
	return d, nil
}

// Allow checks the stream again for claims of up to ttl (a new
// configuration's longest dedupe TTL), and on success keeps ttl for Ping.
// An error wraps ErrUnavailable or ErrUnsupported.
func (d *Decider) Allow(ctx context.Context, ttl time.Duration) error {
	info, err := d.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := Check(info.Config, ttl); err != nil {
		return err
	}
	d.ttl.Store(int64(ttl))
	return nil
}

// MinServer is the oldest nats-server that has every feature the
// decisions need: atomic batch publish came in 2.12 (per-message TTLs in
// 2.11).
const MinServer = "2.12.0"

// CheckServer reports a server version older than MinServer (an error
// wrapping ErrUnsupported), or one it cannot read. An older server does
// not refuse a stream configuration it does not know: it ignores it.
func CheckServer(version string) error {
	have, err := parseVersion(version)
	if err != nil {
		return fmt.Errorf("%w: the NATS server's version %q: %v", ErrUnsupported, version, err)
	}
	want, _ := parseVersion(MinServer)
	if slices.Compare(have, want) < 0 {
		return fmt.Errorf("%w: nats-server %s lacks atomic batch publish: it needs %s or later", ErrUnsupported, version, MinServer)
	}
	return nil
}

// parseVersion reads "major.minor.patch", with any "-suffix" or "+build"
// ignored.
func parseVersion(v string) ([]int, error) {
	core, _, _ := strings.Cut(strings.TrimPrefix(v, "v"), "-")
	core, _, _ = strings.Cut(core, "+")
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return nil, errors.New("not major.minor.patch")
	}
	out := make([]int, 3)
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return nil, errors.New("not major.minor.patch")
		}
		out[i] = n
	}
	return out, nil
}

// Ping reads the stream's configuration again: an error wraps
// ErrUnavailable when the stream does not answer, or ErrUnsupported when
// it no longer has what the decisions need (an operator changed it).
func (d *Decider) Ping(ctx context.Context) error {
	info, err := d.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return Check(info.Config, time.Duration(d.ttl.Load()))
}

// Check reports what a stream's configuration lacks for the decisions,
// with claims of up to ttl: an error wrapping ErrUnsupported naming each
// missing feature, or nil. Besides the features and subjects, the stream
// must keep what no consumer reads (limits retention), refuse new messages
// rather than drop its oldest when full, and keep messages for ttl at
// least: else claims and versions go before their time, and a retry is
// forwarded again, an older version after a newer one. It must not leave
// subject delete markers (subject_delete_marker_ttl): they stretch every
// claim to their TTL and stand where a claim expired.
func Check(cfg jetstream.StreamConfig, ttl time.Duration) error {
	var missing []string
	for _, f := range []struct {
		ok   bool
		name string
	}{
		{cfg.AllowAtomicPublish, "atomic batch publish (allow_atomic)"},
		{cfg.AllowMsgTTL, "per-message TTLs (allow_msg_ttl)"},
		{cfg.AllowRollup, "rollups (allow_rollup_hdrs)"},
		{cfg.AllowDirect, "direct gets (allow_direct)"},
		{!cfg.DenyPurge, "purges, which rollups use (deny_purge is set)"},
	} {
		if !f.ok {
			missing = append(missing, f.name)
		}
	}
	for _, want := range Subjects {
		if !slices.Contains(cfg.Subjects, want) {
			missing = append(missing, "the subject "+want)
		}
	}
	if cfg.Retention != jetstream.LimitsPolicy {
		missing = append(missing, fmt.Sprintf("limits retention (it keeps messages by %s, which removes the claims and versions no consumer reads; a stream's retention cannot be changed: use another stream)", cfg.Retention))
	}
	if (cfg.MaxMsgs > 0 || cfg.MaxBytes > 0) && cfg.Discard != jetstream.DiscardNew {
		missing = append(missing, "discard new when full (with max_msgs or max_bytes, discard old drops the oldest messages, live claims among them)")
	}
	if cfg.SubjectDeleteMarkerTTL > 0 {
		missing = append(missing, fmt.Sprintf("an unset subject_delete_marker_ttl (it is %s: the server raises every claim's and version's TTL to it, and leaves a delete marker where one expired, which refuses the next claim until it goes)", cfg.SubjectDeleteMarkerTTL))
	}
	if ttl > 0 && cfg.MaxAge > 0 && cfg.MaxAge < ttl {
		missing = append(missing, fmt.Sprintf("a max_age of at least the longest dedupe.ttl, %s (it is %s, and claims would go before their TTL: set nats.max_age)", ttl, cfg.MaxAge))
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: stream %s lacks %s", ErrUnsupported, cfg.Name, strings.Join(missing, ", "))
	}
	return nil
}

// Decide records the fate of ev and returns once the stream stored it:
// Duplicate (its claim is live), Stale (older than its entity's version,
// or equal with DropTies), or Accepted (the claim, the new version and the
// event stored as one batch). An error wraps ErrUnavailable, ErrContended
// or ErrRefused, and then nothing was recorded (but see the errors for a
// timeout). Decide holds no reference to ev.Message.Body once it returns.
func (d *Decider) Decide(ctx context.Context, ev *webhook.Event) (webhook.Outcome, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	claims := []string{subject(ClaimPrefix, ev.Provider, ev.ID)}
	if ev.BodyKey != "" { // dedupe.body_hash: the body's claim too
		// Under a token of its own (_hg.claim.body.<provider>.<hash>, one
		// more than an ID's claim): an event ID, whatever it is, cannot
		// name a body's claim.
		claims = append(claims, subject(ClaimPrefix+".body", ev.Provider, ev.BodyKey))
	}
	version := subject(VersionPrefix, ev.Provider, ev.Entity)
	for tries := 1; ; tries++ {
		outcome, retry, err := d.attempt(ctx, ev, claims, version, timeout)
		if !retry {
			return outcome, err
		}
		if !pause(ctx, tries) {
			return 0, fmt.Errorf("%w: entity %q: others decided first %d times in %s", ErrContended, ev.Entity, tries, timeout)
		}
	}
}

// attempt decides once. retry reports that another request decided the
// entity's version first: decide again.
func (d *Decider) attempt(ctx context.Context, ev *webhook.Event, claims []string, version string, timeout time.Duration) (webhook.Outcome, bool, error) {
	var last lastVersion // the entity's: none when it is not ordered
	if ev.Ordered {
		var err error
		if last, err = d.lastVersion(ctx, version); err != nil {
			return 0, false, err
		}
	}
	// A version of another kind (the provider's format changed) does not
	// compare: the event's is taken as the entity's first.
	stored := last.version
	stale := last.found && ev.VersionKind.Compares(last.kind) && (ev.Version < stored || (ev.Version == stored && ev.DropTies))
	batch := make([]*nats.Msg, 0, len(claims)+2+len(ev.Copies))
	for _, c := range claims {
		batch = append(batch, claimMsg(c, ev))
	}
	if m, ok := ev.StaleMessage(stored); stale && ok {
		batch = append(batch, m.NATSMsg(d.Signer))
	}
	if !stale {
		if ev.Ordered {
			batch = append(batch, versionMsg(version, ev, last.seq))
		}
		for _, m := range ev.Outgoing() {
			batch = append(batch, m.NATSMsg(d.Signer))
		}
	}
	err := d.publish(ctx, batch, timeout)
	switch {
	case err == nil && stale:
		return webhook.Stale, false, nil
	case err == nil:
		return webhook.Accepted, false, nil
	case hasCode(err, duplicateInBatch):
		return webhook.Duplicate, false, nil
	case !hasCode(err, wrongLastSequence) && !hasCode(err, wrongLastSequenceInFlight):
		return 0, false, classify(err)
	}
	// An expectation was refused: a claim exists (a duplicate), or the
	// entity's version moved on, or another batch on one of the subjects
	// is still in flight (decide again).
	for _, c := range claims {
		m, err := d.stream.GetLastMsgForSubject(ctx, c)
		switch {
		case err == nil && marker(m):
			// Check refuses a stream that leaves markers: one was changed
			// under the gateway. The claim expired; the marker refuses a
			// new one until it goes, and is no duplicate.
			return 0, false, fmt.Errorf("%w: claim subject %s holds a delete marker (%s) where the claim expired: the stream has subject_delete_marker_ttl set, which the decisions cannot use", ErrUnavailable, c, m.Header.Get(jetstream.MarkerReasonHeader))
		case err == nil:
			return webhook.Duplicate, false, nil
		case !errors.Is(err, jetstream.ErrMsgNotFound):
			return 0, false, classify(err)
		}
	}
	return 0, true, nil
}

// publish publishes batch atomically. While the stream has as many
// batches open as it allows (nats-server's max_batch_inflight_per_stream,
// 50 by default), or did not get the whole batch, nothing was stored: it
// tries again after a short pause, until ctx ends.
//
// Only the batch's last message asks for an answer, so when the stream
// refuses one before it (over max_msg_size, a subject it does not take, a
// sealed stream) the refusal is lost and the commit's answer is an
// incomplete batch, as for a message lost on a reconnect. So after an
// incomplete batch the tries are made with an answer asked for every
// message (publishAnswered), which tells the stream's refusal, if any,
// from a lost message.
func (d *Decider) publish(ctx context.Context, batch []*nats.Msg, timeout time.Duration) error {
	answered := false
	for tries := 1; ; tries++ {
		var err error
		if answered {
			err = d.publishAnswered(ctx, batch)
		} else {
			_, err = jetstreamext.PublishMsgBatch(ctx, d.js, batch, jetstreamext.BatchFlowControl{AckTimeout: timeout})
			if errors.Is(err, nats.ErrNoResponders) { // to the last message
				return d.noStream(ctx, batch[len(batch)-1].Subject, len(batch), err)
			}
		}
		if !hasCode(err, tooManyBatches) && !hasCode(err, incompleteBatch) {
			return err
		}
		answered = answered || hasCode(err, incompleteBatch)
		if !pause(ctx, tries) {
			return err
		}
	}
}

// publishAnswered publishes batch atomically, as one try of
// jetstreamext.PublishMsgBatch does, but with a reply subject on every
// message. The stream answers each message before the last as it takes
// it (an empty answer) or refuses it (the refusal's error), and nats-server
// answers one no stream listens to (no responders); then it answers the
// last with the batch's outcome. The answers come in the order of the
// messages, on one subscription, so once the last one's has come every
// earlier answer that will come has. It returns the first error among the
// messages' answers, in their order, else the last one's: nil when the
// batch is stored. A refusal means nothing was stored: the commit's answer
// is then an incomplete batch. A message without an answer was lost (a
// reconnect): the batch is incomplete, and its answer says so.
func (d *Decider) publishAnswered(ctx context.Context, batch []*nats.Msg) error {
	nc := d.js.Conn()
	// One token after the inbox, as nats.go's own reply subjects. A
	// channel, not a synchronous subscription, whose NextMsg turns a
	// no-responders answer into an error without the message: room for
	// every answer (and a stray one each), so none is dropped.
	inbox := nc.NewInbox()
	ch := make(chan *nats.Msg, 2*len(batch))
	sub, err := nc.ChanSubscribe(inbox+".*", ch)
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	id, last := nuid.Next(), len(batch)-1
	for i, m := range batch {
		out := *m
		out.Header = maps.Clone(m.Header)
		if out.Header == nil {
			out.Header = nats.Header{}
		}
		out.Header.Set(jetstreamext.BatchIDHeader, id)
		out.Header.Set(jetstreamext.BatchSeqHeader, strconv.Itoa(i+1))
		out.Header.Del(jetstreamext.BatchCommitHeader)
		if i == last {
			out.Header.Set(jetstreamext.BatchCommitHeader, "1")
		}
		out.Reply = inbox + "." + strconv.Itoa(i)
		if err := nc.PublishMsg(&out); err != nil {
			return fmt.Errorf("publishing message %d of the batch: %w", i+1, err)
		}
	}
	answers := make([]*nats.Msg, len(batch))
	for answers[last] == nil {
		var m *nats.Msg
		select {
		case m = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		i, err := strconv.Atoi(strings.TrimPrefix(m.Subject, inbox+"."))
		if err == nil && i >= 0 && i <= last && answers[i] == nil {
			answers[i] = m
		}
	}
	for i, a := range answers {
		if a == nil {
			continue // lost: the answers after it say the batch is incomplete
		}
		if err := answerErr(a, i == last); err != nil {
			if errors.Is(err, nats.ErrNoResponders) {
				return d.noStream(ctx, batch[i].Subject, i+1, err)
			}
			if i < last {
				return fmt.Errorf("message %d of the batch, on %s: %w", i+1, batch[i].Subject, err)
			}
			return err
		}
	}
	return nil
}

// answerErr reads the stream's answer to a message of an atomic batch:
// nil for one it took (empty before the last; the batch's acknowledgement
// for the last), the stream's *jetstream.APIError for a refusal, and
// nats.ErrNoResponders when no stream listened.
func answerErr(m *nats.Msg, last bool) error {
	if len(m.Data) == 0 {
		switch {
		case m.Header.Get("Status") == "503":
			return nats.ErrNoResponders
		case last:
			return fmt.Errorf("%w: an empty answer", jetstream.ErrInvalidJSAck)
		}
		return nil
	}
	var r struct {
		Error  *jetstream.APIError `json:"error"`
		Stream string              `json:"stream"`
	}
	if err := json.Unmarshal(m.Data, &r); err != nil {
		return fmt.Errorf("%w: %v", jetstream.ErrInvalidJSAck, err)
	}
	switch {
	case r.Error != nil:
		return r.Error
	case last && r.Stream == "":
		return fmt.Errorf("%w: %q", jetstream.ErrInvalidJSAck, m.Data)
	}
	return nil
}

// noStream explains message n of a batch, on subject, that no stream
// listened to: a refusal when the stream's configuration does not take
// subject (an operator changed it under the gateway), else the stream has
// no leader to take it (an election): unavailable. The configuration is
// read again, for at most a second (a stream without a leader may not
// answer); failing that, the one last read (New, Ping, Allow) decides.
func (d *Decider) noStream(ctx context.Context, subject string, n int, err error) error {
	cfg := d.stream.CachedInfo().Config
	ictx, cancel := context.WithTimeout(ctx, time.Second)
	if info, ierr := d.stream.Info(ictx); ierr == nil {
		cfg = info.Config
	}
	cancel()
	if !forward.SubjectIn(subject, cfg.Subjects) {
		return fmt.Errorf("%w: message %d of the batch, on %s: the stream %s does not take that subject (its subjects: %s): %w",
			ErrRefused, n, subject, cfg.Name, strings.Join(cfg.Subjects, ", "), err)
	}
	return fmt.Errorf("%w: message %d of the batch, on %s: %w", ErrUnavailable, n, subject, err)
}

// pause waits before try number tries+1: 1 ms doubling up to 32 ms, with
// jitter so that the requests that met stay apart. It reports false,
// without waiting, when ctx ends first.
func pause(ctx context.Context, tries int) bool {
	d := time.Millisecond << min(tries-1, 5)
	d += rand.N(d)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// lastVersion is what an entity's version subject holds.
type lastVersion struct {
	seq     uint64 // the subject's last sequence, which the new version expects (0: none)
	found   bool   // a version: the message at seq holds one
	version int64
	kind    ordering.Kind
}

// lastVersion reads the entity's last version message. A subject delete
// marker (which Check refuses, but a stream changed under the gateway
// may leave where a version expired) holds no version: it is read as
// none, at its sequence.
func (d *Decider) lastVersion(ctx context.Context, subj string) (lastVersion, error) {
	m, err := d.stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return lastVersion{}, nil
	}
	if err != nil {
		return lastVersion{}, classify(err)
	}
	if marker(m) {
		return lastVersion{seq: m.Sequence}, nil
	}
	v, err := strconv.ParseInt(string(m.Data), 10, 64)
	if err != nil {
		return lastVersion{}, fmt.Errorf("%w: version message %d on %s holds %q, not a version", ErrRefused, m.Sequence, subj, m.Data)
	}
	return lastVersion{seq: m.Sequence, found: true, version: v, kind: versionKind(m.Header.Get(VersionKindHeader))}, nil
}

// marker reports whether m is a subject delete marker: what a stream with
// subject_delete_marker_ttl leaves where a subject's last message expired.
func marker(m *jetstream.RawStreamMsg) bool { return m.Header.Get(jetstream.MarkerReasonHeader) != "" }

// VersionKindHeader carries the kind of the version a version message
// holds (ordering.Kind's String). A message without it, as written before
// versions had kinds, holds a version of ordering.AnyKind. The kind is in
// a header, not in the body, so that a gateway of that time reads the
// version of a message written now.
const VersionKindHeader = "Hookgate-Version-Kind"

// versionKind reads VersionKindHeader's value.
func versionKind(s string) ordering.Kind {
	for _, k := range []ordering.Kind{ordering.Number, ordering.Time} {
		if s == k.String() {
			return k
		}
	}
	return ordering.AnyKind
}

// subject is prefix.<provider>.<hash of key>: any key fits one token of
// 22 characters, the first 128 bits of its SHA-256 in unpadded base64url
// (whose '-' and '_' are plain characters in a NATS subject). A stream
// pays for a claim's subject in every message and in its subject index,
// and 128 bits keep a collision between two keys out of reach.
func subject(prefix, provider, key string) string {
	sum := sha256.Sum256([]byte(key))
	return prefix + "." + provider + "." + base64.RawURLEncoding.EncodeToString(sum[:16])
}

// claimMsg claims ev's ID for its TTL; it is refused when a live claim
// exists.
func claimMsg(subj string, ev *webhook.Event) *nats.Msg {
	m := nats.NewMsg(subj)
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, "0")
	m.Header.Set(jetstream.MsgTTLHeader, ttl(ev.TTL))
	return m
}

// versionMsg stores ev's version, with its kind, as its entity's last,
// expecting the sequence last that the decision read, and removing the
// older ones.
func versionMsg(subj string, ev *webhook.Event, last uint64) *nats.Msg {
	m := nats.NewMsg(subj)
	m.Data = strconv.AppendInt(nil, ev.Version, 10)
	if ev.VersionKind != ordering.AnyKind {
		m.Header.Set(VersionKindHeader, ev.VersionKind.String())
	}
	m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last, 10))
	m.Header.Set(jetstream.MsgRollup, jetstream.MsgRollupSubject)
	m.Header.Set(jetstream.MsgTTLHeader, ttl(ev.TTL))
	return m
}

// ttl is a Nats-TTL value: whole seconds, at least one, and at most
// webhook.MaxTTL's (the server adds a message's TTL, in nanoseconds, to its
// time: a longer one would wrap around, and the message expire at once).
func ttl(d time.Duration) string {
	d = min(d, webhook.MaxTTL)
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// hasCode reports whether err is JetStream's error code.
func hasCode(err error, code jetstream.ErrorCode) bool {
	var api *jetstream.APIError
	return errors.As(err, &api) && api.ErrorCode == code
}

// transient are JetStream error codes that pass with time.
var transient = map[jetstream.ErrorCode]bool{
	10005: true, // no peers
	10006: true, // cluster not active
	10008: true, // cluster not available
	10009: true, // not leader
	10023: true, // insufficient resources
	10028: true, // memory resources exceeded
	10047: true, // storage resources exceeded
	10077: true, // store failed (a stream at its limits)
	10210: true, // too many atomic batches in flight
	10175: true, // a batch message missing (lost on a reconnect or leader change)
	10176: true, // an incomplete batch (the same)
}

// classify wraps err as ErrUnavailable, or ErrRefused for an answer of
// the stream that will not pass; an err that wraps either already is
// returned as it is.
func classify(err error) error {
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrRefused) {
		return err
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && !transient[api.ErrorCode] {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
