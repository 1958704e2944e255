package forward_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
)

const internalPassword = "internal-secret-for-tests"

// authServer starts an embedded server with the given users and the
// default stream, created by the internal user, holding n messages on
// webhooks.a.x and n on webhooks.b.x.
func authServer(t *testing.T, n int, users ...forward.User) *server.Server {
	t.Helper()
	s := mustServer(t, forward.ServerConfig{Users: users, InternalPassword: internalPassword})
	nc := mustConn(t, s.ClientURL(), nats.UserInfo(forward.InternalUser, internalPassword))
	js := mustJetStream(t, nc)
	for i := range n {
		for _, subj := range []string{"webhooks.a.x", "webhooks.b.x"} {
			if _, err := js.Publish(testCtx(t), subj, []byte{byte(i)}); err != nil {
				t.Fatalf("internal user: Publish(%s) = %v", subj, err)
			}
		}
	}
	return s
}

// userConn connects as a user and collects the asynchronous errors the
// server sends (permission violations).
func userConn(t *testing.T, s *server.Server, user, password string) (*nats.Conn, chan error) {
	t.Helper()
	errs := make(chan error, 16)
	nc := mustConn(t, s.ClientURL(), nats.UserInfo(user, password),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	return nc, errs
}

// waitViolation waits for the server to refuse something of subject.
func waitViolation(t *testing.T, errs chan error, subject string) {
	t.Helper()
	select {
	case err := <-errs:
		if !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), subject) {
			t.Fatalf("async error = %v; want a permissions violation on %s", err, subject)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no permissions violation for %s", subject)
	}
}

// refusal is something a user tries that the server must refuse: try
// returns an error only when the attempt got through, and subject is what
// the server's permissions violation names.
type refusal struct {
	name, subject string
	try           func(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) error
}

// checkRefused makes each attempt, in parallel (each waits for its refused
// request to time out), on its own connection as user, waits for the
// server's permissions violation, and then runs after (if any).
func checkRefused(t *testing.T, s *server.Server, user, password string, refusals []refusal, after func(*testing.T, refusal)) {
	t.Helper()
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			nc, errs := userConn(t, s, user, password)
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := r.try(ctx, nc, js); err != nil {
				t.Fatalf("%s: %v; want it refused", r.name, err)
			}
			waitViolation(t, errs, r.subject)
			if after != nil {
				after(t, r)
			}
		})
	}
}

func streamMsgCount(t *testing.T, s *server.Server) uint64 {
	t.Helper()
	nc := mustConn(t, s.ClientURL(), nats.UserInfo(forward.InternalUser, internalPassword))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(testCtx(t), forward.DefaultStreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// TestConsumerUserReads: a user with the default subscribe subjects reads
// the stream through a durable consumer and acks, and through an ordered
// consumer, and subscribes to live messages.
func TestConsumerUserReads(t *testing.T) {
	const n = 5
	s := authServer(t, n, forward.User{Name: "reader", Password: "reader-pw"})
	nc, errs := userConn(t, s, "reader", "reader-pw")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)

	for _, c := range []struct {
		name string
		cfg  jetstream.ConsumerConfig
	}{
		{"durable, no filter", jetstream.ConsumerConfig{Durable: "all", AckPolicy: jetstream.AckExplicitPolicy}},
		{"durable, one filter", jetstream.ConsumerConfig{Durable: "a", FilterSubject: "webhooks.a.>", AckPolicy: jetstream.AckExplicitPolicy}},
		{"durable, two filters", jetstream.ConsumerConfig{Durable: "ab", FilterSubjects: []string{"webhooks.a.>", "webhooks.b.>"}, AckPolicy: jetstream.AckExplicitPolicy}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cons, err := js.CreateOrUpdateConsumer(ctx, forward.DefaultStreamName, c.cfg)
			if err != nil {
				t.Fatalf("CreateOrUpdateConsumer = %v", err)
			}
			want := 2 * n
			if c.cfg.FilterSubject != "" {
				want = n
			}
			got := 0
			for got < want {
				batch, err := cons.Fetch(want-got, jetstream.FetchMaxWait(5*time.Second))
				if err != nil {
					t.Fatalf("Fetch = %v", err)
				}
				for m := range batch.Messages() {
					if err := m.DoubleAck(ctx); err != nil {
						t.Fatalf("DoubleAck = %v", err)
					}
					got++
				}
				if err := batch.Error(); err != nil {
					t.Fatalf("Fetch: %v", err)
				}
			}
			info, err := cons.Info(ctx)
			if err != nil {
				t.Fatalf("Info = %v", err)
			}
			if info.NumAckPending != 0 || info.NumPending != 0 || info.AckFloor.Stream == 0 {
				t.Errorf("consumer after reading %d: pending %d, ack pending %d, ack floor %d; want all acked", got, info.NumPending, info.NumAckPending, info.AckFloor.Stream)
			}
			if err := js.DeleteConsumer(ctx, forward.DefaultStreamName, c.cfg.Durable); err != nil {
				t.Errorf("DeleteConsumer = %v", err)
			}
		})
	}

	t.Run("ordered", func(t *testing.T) {
		cons, err := js.OrderedConsumer(ctx, forward.DefaultStreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{"webhooks.b.>"}})
		if err != nil {
			t.Fatalf("OrderedConsumer = %v", err)
		}
		batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			if m.Subject() != "webhooks.b.x" {
				t.Errorf("ordered consumer got %s; want webhooks.b.x", m.Subject())
			}
			got++
		}
		if got != n {
			t.Errorf("ordered consumer read %d; want %d (%v)", got, n, batch.Error())
		}
	})

	t.Run("stream info and get", func(t *testing.T) {
		st, err := js.Stream(ctx, forward.DefaultStreamName)
		if err != nil {
			t.Fatalf("Stream = %v", err)
		}
		if m, err := st.GetMsg(ctx, 1); err != nil || m.Subject != "webhooks.a.x" {
			t.Errorf("GetMsg(1) = %v, %v; want webhooks.a.x", m, err)
		}
	})

	t.Run("live", func(t *testing.T) {
		sub, err := nc.SubscribeSync("webhooks.>")
		if err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		in := mustConn(t, s.ClientURL(), nats.UserInfo(forward.InternalUser, internalPassword))
		if err := in.Publish("webhooks.live", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if m, err := sub.NextMsg(10 * time.Second); err != nil || string(m.Data) != "x" {
			t.Errorf("live message = %v, %v; want x", m, err)
		}
	})
	select {
	case err := <-errs:
		t.Errorf("async error while reading: %v", err)
	default:
	}
}

// TestConsumerUserCannotWrite: a consumer user's publishes to the stream's
// subjects, forged replies and stream changes are refused and change
// nothing.
func TestConsumerUserCannotWrite(t *testing.T) {
	const n = 2
	s := authServer(t, n, forward.User{Name: "reader", Password: "reader-pw"})
	refusals := []refusal{
		{name: "core publish", subject: "webhooks.a.forged", try: func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
			return nc.Publish("webhooks.a.forged", []byte("forged"))
		}},
		{name: "jetstream publish", subject: "webhooks.a.forged", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			_, err := js.Publish(ctx, "webhooks.a.forged", []byte("forged"), jetstream.WithMsgID("a:forged"))
			if err == nil {
				return errors.New("acknowledged")
			}
			return nil
		}},
		{name: "forged reply", subject: "_INBOX.x", try: func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
			return nc.Publish("_INBOX.x", []byte("forged"))
		}},
		{name: "purge", subject: "$JS.API.STREAM.PURGE.WEBHOOKS", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, forward.DefaultStreamName)
			if err != nil {
				return err
			}
			if st.Purge(ctx) == nil {
				return errors.New("purged")
			}
			return nil
		}},
		{name: "delete message", subject: "$JS.API.STREAM.MSG.DELETE.WEBHOOKS", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, forward.DefaultStreamName)
			if err != nil {
				return err
			}
			if st.DeleteMsg(ctx, 1) == nil {
				return errors.New("deleted")
			}
			return nil
		}},
		{name: "update stream", subject: "$JS.API.STREAM.UPDATE.WEBHOOKS", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			_, err := js.UpdateStream(ctx, jetstream.StreamConfig{Name: forward.DefaultStreamName, Subjects: []string{"webhooks.>", "forged.>"}})
			if err == nil {
				return errors.New("updated")
			}
			return nil
		}},
		{name: "delete stream", subject: "$JS.API.STREAM.DELETE.WEBHOOKS", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			if js.DeleteStream(ctx, forward.DefaultStreamName) == nil {
				return errors.New("deleted")
			}
			return nil
		}},
		{name: "new stream", subject: "$JS.API.STREAM.CREATE.FORGED", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "FORGED", Subjects: []string{"forged.>"}}); err == nil {
				return errors.New("created")
			}
			return nil
		}},
	}
	checkRefused(t, s, "reader", "reader-pw", refusals, func(t *testing.T, r refusal) {
		if got := streamMsgCount(t, s); got != 2*n {
			t.Errorf("stream holds %d messages after %s; want %d", got, r.name, 2*n)
		}
	})
}

// TestConsumerUserSubscribeLimits: a user limited to webhooks.a.> reads
// it, and can neither subscribe to nor create a consumer on anything else.
func TestConsumerUserSubscribeLimits(t *testing.T) {
	const n = 3
	s := authServer(t, n, forward.User{Name: "a-reader", Password: "pw-a", Subscribe: []string{"webhooks.a.>"}})
	nc, _ := userConn(t, s, "a-reader", "pw-a")
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	cons, err := js.CreateOrUpdateConsumer(ctx, forward.DefaultStreamName, jetstream.ConsumerConfig{Durable: "a", FilterSubject: "webhooks.a.x", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("consumer on webhooks.a.x = %v", err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for m := range batch.Messages() {
		if err := m.Ack(); err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != n {
		t.Fatalf("read %d on webhooks.a.x; want %d (%v)", got, n, batch.Error())
	}

	refusals := []refusal{
		{name: "other filter", subject: "$JS.API.CONSUMER.CREATE.WEBHOOKS.b.webhooks.b.>", try: createConsumer(jetstream.ConsumerConfig{Durable: "b", FilterSubject: "webhooks.b.>"})},
		{name: "wider filter", subject: "$JS.API.CONSUMER.CREATE.WEBHOOKS.w.webhooks.>", try: createConsumer(jetstream.ConsumerConfig{Durable: "w", FilterSubject: "webhooks.>"})},
		{name: "no filter", subject: "$JS.API.CONSUMER.CREATE.WEBHOOKS.all", try: createConsumer(jetstream.ConsumerConfig{Durable: "all"})},
		{name: "two filters", subject: "$JS.API.CONSUMER.CREATE.WEBHOOKS.two", try: createConsumer(jetstream.ConsumerConfig{Durable: "two", FilterSubjects: []string{"webhooks.a.>", "webhooks.b.>"}})},
		{name: "get", subject: "$JS.API.STREAM.MSG.GET.WEBHOOKS", try: func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
			st, err := js.Stream(ctx, forward.DefaultStreamName)
			if err != nil {
				return err
			}
			if _, err := st.GetMsg(ctx, 2); err == nil {
				return errors.New("got a webhooks.b message")
			}
			return nil
		}},
		{name: "live", subject: "webhooks.b.>", try: func(_ context.Context, nc *nats.Conn, _ jetstream.JetStream) error {
			_, err := nc.SubscribeSync("webhooks.b.>")
			return err
		}},
	}
	checkRefused(t, s, "a-reader", "pw-a", refusals, nil)
}

// createConsumer returns a try function that creates a consumer and
// expects a refusal.
func createConsumer(cfg jetstream.ConsumerConfig) func(context.Context, *nats.Conn, jetstream.JetStream) error {
	return func(ctx context.Context, _ *nats.Conn, js jetstream.JetStream) error {
		if _, err := js.CreateOrUpdateConsumer(ctx, forward.DefaultStreamName, cfg); err == nil {
			return fmt.Errorf("consumer %+v created", cfg)
		}
		return nil
	}
}

// TestServerUsersRefuse: with users, a connection without credentials, with
// a wrong password or as an unknown user is refused.
func TestServerUsersRefuse(t *testing.T) {
	s := authServer(t, 0, forward.User{Name: "reader", Password: "reader-pw"})
	for _, c := range []struct {
		name string
		opts []nats.Option
	}{
		{"no credentials", nil},
		{"wrong password", []nats.Option{nats.UserInfo("reader", "wrong")}},
		{"internal user, wrong password", []nats.Option{nats.UserInfo(forward.InternalUser, "reader-pw")}},
		{"unknown user", []nats.Option{nats.UserInfo("nobody", "reader-pw")}},
		{"token", []nats.Option{nats.Token("reader-pw")}},
	} {
		t.Run(c.name, func(t *testing.T) {
			nc, err := nats.Connect(s.ClientURL(), c.opts...)
			if err == nil {
				nc.Close()
				t.Fatal("Connect succeeded; want it refused")
			}
			if !errors.Is(err, nats.ErrAuthorization) {
				t.Errorf("Connect = %v; want %v", err, nats.ErrAuthorization)
			}
		})
	}
}

func TestStartServerUserErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  forward.ServerConfig
	}{
		{"no internal password", forward.ServerConfig{Users: []forward.User{{Name: "a", Password: "s3cret"}}}},
		{"no name", forward.ServerConfig{InternalPassword: "s3cret-internal", Users: []forward.User{{Password: "s3cret"}}}},
		{"no password", forward.ServerConfig{InternalPassword: "s3cret-internal", Users: []forward.User{{Name: "a"}}}},
		{"twice", forward.ServerConfig{InternalPassword: "s3cret-internal", Users: []forward.User{{Name: "a", Password: "s3cret"}, {Name: "a", Password: "s3cret2"}}}},
		{"internal name", forward.ServerConfig{InternalPassword: "s3cret-internal", Users: []forward.User{{Name: forward.InternalUser, Password: "s3cret"}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Port, c.cfg.StoreDir = -1, t.TempDir()
			s, err := forward.StartServer(c.cfg)
			if err == nil {
				s.Shutdown()
			}
			if !errors.Is(err, forward.ErrUsers) {
				t.Fatalf("StartServer = %v; want %v", err, forward.ErrUsers)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("StartServer error %q shows a password", err)
			}
		})
	}
}

func TestSubjectWithin(t *testing.T) {
	for _, c := range []struct {
		inner, outer string
		want         bool
	}{
		{"webhooks.a", "webhooks.a", true},
		{"webhooks.a", "webhooks.b", false},
		{"webhooks.a.>", "webhooks.>", true},
		{"webhooks.>", "webhooks.>", true},
		{"webhooks.>", "webhooks.a.>", false},
		{"webhooks.a.>", "webhooks.*.>", true},
		{"webhooks.*.>", "webhooks.a.>", false},
		{"webhooks.a.x", "webhooks.*", false},
		{"webhooks.a", "webhooks.*", true},
		{"webhooks.*", "webhooks.a", false},
		{"webhooks.>", "webhooks.*", false},
		{"webhooks", "webhooks.>", false},
		{"webhooks.a", ">", true},
		{"webhooks", "webhooks.a", false},
		{"webhooks.a", "webhooks", false},
	} {
		if got := forward.SubjectWithin(c.inner, c.outer); got != c.want {
			t.Errorf("SubjectWithin(%q, %q) = %v; want %v", c.inner, c.outer, got, c.want)
		}
	}
}
