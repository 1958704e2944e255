// Command consumer is an example service that consumes hookgate's events
// with package consume: it records the payments of Stripe events in a
// SQLite file, each event exactly once, and prints one JSON line per event
// it records. Copy it as the start of a service of your own.
//
//	consumer -nats nats://127.0.0.1:4222 -verify-key bus-signing.pem.pub -db payments.db
//
// What it shows:
//
//   - Every message's Hookgate-Signature is checked with the gateway's
//     public key (-verify-key, the .pub file of `hookgate keygen`; give the
//     old and the new key while the gateway's key rotates). A message the
//     gateway did not sign is never handled: it is dead-lettered with the
//     reason "refused".
//   - One durable consumer (-durable) that every instance of the service
//     shares, with handlers running concurrently (-concurrency) and, for
//     each payment (the gateway's ordering key), one at a time in order.
//   - The event's row and its "handled" mark are committed in one SQLite
//     transaction (consume/sqlitestore): an event delivered again, because
//     its acknowledgement was lost or the process died after the commit,
//     is acknowledged without being recorded twice.
//   - A body it cannot read is dead-lettered at once (consume.Permanent);
//     any other failure is retried after a backoff.
//   - SIGINT or SIGTERM stops it gracefully: running handlers finish, and
//     the messages it fetched go back to the server at once.
//
// Logs go to stderr; stdout has one JSON object per line, one per event
// recorded, with "msg":"recorded":
//
//	{"time":"…","level":"INFO","msg":"recorded","event":"evt_1","type":"payment_intent.succeeded","payment":"pi_1","version":"1764849600","amount":2000,"attempt":1}
//
// See README.md beside this file for how to run it against `hookgate serve`.
package main

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/consume/sqlitestore"
)

// stopTimeout bounds a graceful stop: how long the running handlers have to
// finish after SIGINT or SIGTERM.
const stopTimeout = 20 * time.Second

// schema is the service's own table, in the file where sqlitestore keeps its
// marks; payment and version are the gateway's ordering key and version.
// event_id is not UNIQUE on purpose: recording each event once is
// store.Handler's work, not a constraint's (which would turn a delivery
// again into an error).
const schema = `CREATE TABLE IF NOT EXISTS payments (event_id TEXT NOT NULL, provider TEXT NOT NULL,
	type TEXT NOT NULL, payment TEXT NOT NULL, version TEXT NOT NULL, amount INTEGER NOT NULL)`

func main() {
	var keys []string
	natsURL := flag.String("nats", envOr("NATS_URL", nats.DefaultURL), "NATS server `URL` (env NATS_URL)")
	durable := flag.String("durable", envOr("CONSUMER_DURABLE", "payments"), "durable consumer `NAME`, shared by every instance (env CONSUMER_DURABLE)")
	dbPath := flag.String("db", envOr("CONSUMER_DB", "payments.db"), "SQLite `FILE` (env CONSUMER_DB)")
	concurrency := flag.Int("concurrency", 4, "handlers running at once (one at a time per payment)")
	ackWait := flag.Duration("ack-wait", consume.DefaultAckWait, "how soon the messages held by a crashed instance come again")
	flag.Func("verify-key", "the gateway's public key `FILE` (repeatable)", func(f string) error {
		keys = append(keys, f)
		return nil
	})
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, log, keys, *dbPath, *natsURL, consume.Options{
		Durable:                *durable,
		Subjects:               []string{"webhooks.stripe.>"}, // the service's events only
		Concurrency:            *concurrency,
		AckWait:                *ackWait,
		CreateDeadLetterStream: true, // HOOKGATE_DEAD, unless the gateway created it already
		Logger:                 log,  // refusals, retries and dead letters
	})
	if err != nil {
		log.Error("consumer failed", "error", err)
		os.Exit(1)
	}
}

// run subscribes and handles events until ctx ends, then stops gracefully.
func run(ctx context.Context, log *slog.Logger, keyFiles []string, dbPath, natsURL string, opts consume.Options) error {
	// The gateway's public keys: only the messages it signed are handled.
	if len(keyFiles) == 0 {
		return errors.New("no -verify-key: give the gateway's public key file")
	}
	var keys []ed25519.PublicKey
	for _, f := range keyFiles {
		k, err := bussig.LoadPublicKey(f)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	var err error
	if opts.Verify, err = bussig.NewVerifier(keys...); err != nil {
		return err
	}

	// One SQLite file holds the service's table and the store's marks, so
	// that a handler's row and its event's mark commit together.
	store, err := sqlitestore.Open(ctx, dbPath)
	if err != nil {
		return err
	}
	defer store.Close()
	if _, err := store.DB().ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("create table payments: %w", err)
	}

	nc, err := nats.Connect(natsURL, nats.Name("consumer "+opts.Durable), nats.MaxReconnects(-1))
	if err != nil {
		return err
	}
	defer nc.Close()           // after Stop: flushes the last acknowledgements
	js, _ := jetstream.New(nc) // an error only for bad options
	out := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	sub, err := consume.Subscribe(ctx, js, opts, handle(store, out))
	if err != nil {
		return err
	}
	log.Info("consuming", "nats", nc.ConnectedUrlRedacted(), "durable", opts.Durable, "subjects", opts.Subjects, "keys", len(keys))

	<-ctx.Done()
	log.Info("stopping", "timeout", stopTimeout)
	stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	return sub.Stop(stopCtx) // an error: a handler was still running at the deadline
}

// handle returns the service's handler. store.Handler runs the function
// inside in the transaction that marks the event handled, and skips an event
// marked already (it is made for each call, so that the call knows whether
// it recorded the event). Its own errors, such as the database locked past
// its busy timeout, are plain errors too: retried. The line goes to out
// after the commit and before the acknowledgement: every line is a row
// recorded, and a crash between the two leaves the row, which the delivery
// that follows does not repeat.
func handle(store *sqlitestore.Store, out *slog.Logger) consume.Handler {
	return func(ctx context.Context, ev *consume.Event) error {
		var amount int64
		recorded := false // by this call
		err := store.Handler(func(ctx context.Context, tx *sql.Tx, ev *consume.Event) error {
			var body struct {
				Data struct{ Object struct{ Amount int64 } } // data.object.amount (json ignores case)
			}
			if err := ev.Decode(&body); err != nil {
				// No retry will make this body readable: dead-letter it now.
				return consume.Permanent(err)
			}
			amount = body.Data.Object.Amount
			if _, err := tx.ExecContext(ctx, `INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?)`,
				ev.ID, ev.Provider, ev.Type, ev.OrderingKey, ev.Version, amount); err != nil {
				// The database busy or full may pass: a plain error is tried
				// again after a backoff, and this payment's later events wait.
				return fmt.Errorf("record %s: %w", ev.Key(), err)
			}
			recorded = true
			return nil
		})(ctx, ev)
		if err == nil && recorded {
			out.Info("recorded", "event", ev.ID, "type", ev.Type, "payment", ev.OrderingKey,
				"version", ev.Version, "amount", amount, "attempt", ev.Attempt)
		}
		return err
	}
}

// envOr returns the environment variable name, or def if it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
