// Package consume is the client side of hookgate: it reads the events the
// gateway published to its JetStream stream and hands them to a handler,
// with retries, per-entity order, dead letters, signature checks and an
// optional once-per-event guard. It imports only the standard library,
// nats.go and hookgate's bussig (and no cgo).
//
// A service needs this much:
//
//	func main() {
//		nc, err := nats.Connect(os.Getenv("NATS_URL"))
//		if err != nil {
//			log.Fatal(err)
//		}
//		js, _ := jetstream.New(nc)
//		key, err := bussig.LoadPublicKey("hookgate.pub.pem") // the gateway's public key
//		if err != nil {
//			log.Fatal(err)
//		}
//		verifier, _ := bussig.NewVerifier(key)
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
//		defer stop()
//		sub, err := consume.Subscribe(ctx, js, consume.Options{
//			Durable: "billing", Verify: verifier, CreateDeadLetterStream: true,
//		}, consume.Once(consume.NewMemoryStore(0, 0), func(ctx context.Context, ev *consume.Event) error {
//			var invoice struct{ Customer string }
//			if err := ev.Decode(&invoice); err != nil {
//				return consume.Permanent(err) // no retry will fix it: dead-letter it
//			}
//			return charge(ctx, invoice.Customer) // an error: tried again later
//		}))
//		if err != nil {
//			log.Fatal(err)
//		}
//		<-ctx.Done()
//		sub.Stop(context.Background()) // a deadline here bounds the wait for running handlers
//		nc.Close()
//	}
//
// # Order, concurrency and retries
//
// A Subscription pulls messages in stream order from a durable consumer
// into one FIFO queue per ordering key (the Hookgate-Ordering-Key header
// with the provider; a message without one is a key of its own). Up to
// Options.Concurrency workers take the head of a ready key, oldest key
// first; a key is ready when its head is not being handled and not waiting
// out a backoff. So messages of one key are handled one at a time in
// stream order, and a failed message holds back the later messages of its
// key, and only those: it stays at its key's head until its backoff
// (Options.Backoff) has passed, while other keys go on. A message delivered
// again while it is held (same stream sequence) is not queued twice, and
// one delivered again after its acknowledgement (the ack was lost) is
// acknowledged again without a call.
//
// Nothing held is left to the server's redelivery: every AckWait/3 the
// Subscription tells the server it is still working on every message it
// holds (InProgress), and it holds at most MaxAckPending of them (the
// consumer's limit too): when that many wait behind failing keys, nothing
// more is fetched until one of them is let go. It fetches at most twice
// Concurrency messages at a time, and only while fewer keys are ready than
// there are workers: it looks past keys held back by a failure without
// reading far ahead.
//
// Order holds within one Subscription. Instances of a service that share
// one durable consumer share its messages: the messages of one key may then
// be handled by two instances at once. Run one instance per consumer (with
// a standby) where order matters, or split the subjects among consumers.
//
// # Acknowledgements and dead letters
//
// A handler's nil error acknowledges the message. An error retries it after
// the next backoff, until the handler has been called Options.MaxDeliver
// times (Event.Attempt counts the calls of earlier deliveries too); an
// error made with [Permanent] stops at once. Then, or when Options.Verify
// refuses the message, the message is copied to the dead-letter subject
// (default hookgate.dead.<durable>: the original body and headers, and the
// HeaderDead* headers naming the reason, the error, the original subject,
// stream, sequence and message ID, the attempts and the consumer) and
// only once the dead-letter stream has acknowledged the copy is the message
// terminated. (The copy's Hookgate-Signature still verifies against the
// original: drop the HeaderDead* headers, and use HeaderDeadMsgID and
// HeaderDeadSubject as the message ID and subject.) If the copy is not stored, the message stays held, at the
// head of its key, and the copy is tried again after a backoff: nothing is
// dropped silently. A copy over the server's max_payload has its
// HeaderDeadError cut to fit; one too large even without it is not stored. Subscribe refuses to start when no stream stores the
// dead-letter subject (or creates HOOKGATE_DEAD with
// Options.CreateDeadLetterStream), and when the consumer would read its
// dead letters back.
//
// The server itself never gives up on a message (the consumer's MaxDeliver
// is unlimited): the Subscription decides. A panic in a handler is an error
// like any other; a handler that kills the process is called again at the
// next delivery, and counted.
//
// Messages on the gateway's internal subjects (_hg.claim.>, _hg.ver.>,
// stored with storage.backend: jetstream) are acknowledged and never given
// to a handler, whatever the filter.
//
// # Stopping
//
// [Subscription.Stop] stops fetching, naks the messages held that no
// handler has started, in stream order, once the last pull request has
// ended (within a second: a nak while it is open would bring the message
// straight back to it), so that another instance gets them now rather than
// after AckWait, and waits for the running handlers: their messages
// are acknowledged, dead-lettered or naked as their outcome says, and the
// later messages of their keys are naked after them, in order. Every
// goroutine of the Subscription has ended when [Subscription.Done] is
// closed.
//
// # Once per event
//
// JetStream delivers at least once: a message handled whose acknowledgement
// was lost, or whose consumer died before sending it, comes again. [Once]
// wraps a handler with a [Store] of processed keys ([Event.Key], which
// leaves an admin replay's suffix out); [MemoryStore] keeps them in
// memory, bounded, and consume/sqlitestore in a SQLite file, where a
// handler can commit its own writes in the same transaction as the mark.
package consume
