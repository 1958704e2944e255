package deliver_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/consume"
	"github.com/hookgate/hookgate/deliver"
	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
)

// received is one request a test receiver got.
type received struct {
	header http.Header
	body   string
	status int // the answer
}

// receiver is an HTTP server that answers with answer(n, request), n
// counting the requests for the same Hookgate-Msg-Id from 1, and records
// every request.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	tries  map[string]int
	answer func(n int, r *http.Request) int
}

func newReceiver(t *testing.T, answer func(n int, r *http.Request) int) *receiver {
	rc := &receiver{tries: map[string]int{}, answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		id := r.Header.Get(deliver.HeaderMsgID)
		rc.tries[id]++
		status := rc.answer(rc.tries[id], r)
		rc.got = append(rc.got, received{r.Header.Clone(), string(body), status})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// setup starts a NATS server with the stream WEBHOOKS and returns a
// JetStream client and a publish function that publishes like the gateway
// (forward.Message.NATSMsg), signed by signer when it is not nil.
func setup(t *testing.T, signer *bussig.Signer) (jetstream.JetStream, func(id, key, version, body string)) {
	t.Helper()
	ns := testkit.StartNATS(t)
	_, js := testkit.JetStream(t, ns.URL())
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: forward.DefaultStreamName, Subjects: []string{forward.DefaultStreamSubjects}}); err != nil {
		t.Fatal(err)
	}
	var s forward.Signer
	if signer != nil {
		s = signer
	}
	return js, func(id, key, version, body string) {
		t.Helper()
		h := nats.Header{forward.HeaderProvider: {"shop"}, forward.HeaderEventID: {id}, forward.HeaderEventType: {"orders/create"},
			"Content-Type": {"application/json"}, "X-Trace": {"trace-" + id}} // (a pass header)
		if key != "" {
			h[forward.HeaderOrderingKey], h[forward.HeaderOrderingVersion] = []string{key}, []string{version}
		}
		m := forward.Message{ID: "shop:" + id, Subject: "webhooks.shop.orders.create", Header: h, Body: []byte(body)}
		if _, err := js.PublishMsg(ctx, m.NATSMsg(s)); err != nil {
			t.Fatal(err)
		}
	}
}

// metrics returns delivery metrics on a registry of their own, and a
// function that reads hookgate_delivery_requests_total for its labels.
func metrics(t *testing.T) (*deliver.Metrics, func(outcome, code string) float64) {
	reg := prometheus.NewRegistry()
	m := deliver.NewMetrics(reg)
	return m, func(outcome, code string) float64 {
		t.Helper()
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() != "hookgate_delivery_requests_total" {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["outcome"] == outcome && labels["code"] == code {
					return m.GetCounter().GetValue()
				}
			}
		}
		return 0
	}
}

func start(t *testing.T, js jetstream.JetStream, tg deliver.Target, m *deliver.Metrics) {
	t.Helper()
	d, err := deliver.Start(context.Background(), js, tg, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop(context.Background()) })
}

// TestDeliver: the receiver gets the body byte for byte, the message's
// headers (no Nats-*), the target's own header, and what it needs to
// check the gateway's signature, which then verifies.
func TestDeliver(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	js, publish := setup(t, bussig.NewSigner(key))
	rc := newReceiver(t, func(int, *http.Request) int { return http.StatusNoContent })
	v, _ := bussig.NewVerifier(pub)
	// X-Trace is also the message's: the message's value stays, signed.
	start(t, js, deliver.Target{Name: "orders", URL: rc.URL, Headers: map[string]string{"Authorization": "Bearer t0ken", "X-Trace": "the target's"}, Verify: v}, nil)
	body := `{"id":1,"note":"  spaces kept  "}`
	publish("evt_1", "", "", body)
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a request"), func() bool { return len(rc.requests()) == 1 })
	r := rc.requests()[0]
	if r.body != body {
		t.Errorf("body = %q; want %q", r.body, body)
	}
	for name, want := range map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer t0ken", forward.HeaderEventID: "evt_1",
		forward.HeaderProvider: "shop", deliver.HeaderMsgID: "shop:evt_1", deliver.HeaderSubject: "webhooks.shop.orders.create",
		deliver.HeaderAttempt: "1", deliver.HeaderSignedHeaders: "content-type,hookgate-event-id,hookgate-event-type,hookgate-provider,x-trace",
		"X-Trace": "trace-evt_1",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s = %q; want %q", name, got, want)
		}
	}
	if r.header.Get("Nats-Msg-Id") != "" {
		t.Error("the request carries Nats-Msg-Id")
	}
	// What a receiver does: the signed headers, the signature, the ID and
	// the subject from the request.
	signed := map[string][]string{bussig.Header: r.header.Values(bussig.Header)}
	for _, name := range strings.Split(r.header.Get(deliver.HeaderSignedHeaders), ",") {
		signed[name] = r.header.Values(name)
	}
	if _, err := v.Verify(r.header.Get(deliver.HeaderMsgID), r.header.Get(deliver.HeaderSubject), signed, []byte(r.body), time.Time{}); err != nil {
		t.Errorf("the receiver's check of the signature: %v", err)
	}
}

// TestDeliverRetries: 503, then 429, then 200: three requests, counted as
// two retries and a delivery; then nothing more.
func TestDeliverRetries(t *testing.T) {
	js, publish := setup(t, nil)
	rc := newReceiver(t, func(n int, _ *http.Request) int {
		switch n {
		case 1:
			return http.StatusServiceUnavailable
		case 2:
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	m, count := metrics(t)
	start(t, js, deliver.Target{Name: "orders", URL: rc.URL, Backoff: []time.Duration{20 * time.Millisecond}}, m)
	publish("evt_1", "", "", "{}")
	testkit.WaitFor(t, 20*time.Second, testkit.Says("a delivery"), func() bool {
		return count("delivered", "200") == 1
	})
	for _, c := range []struct {
		outcome, code string
		want          float64
	}{{"retry", "503", 1}, {"retry", "429", 1}, {"dead_letter", "503", 0}} {
		if got := count(c.outcome, c.code); got != c.want {
			t.Errorf("requests{outcome=%s,code=%s} = %v; want %v", c.outcome, c.code, got, c.want)
		}
	}
	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests; want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get(deliver.HeaderAttempt); got != fmt.Sprint(i+1) {
			t.Errorf("request %d: %s = %s; want %d", i+1, deliver.HeaderAttempt, got, i+1)
		}
	}
}

// deadLetter waits for the dead letter of message ID msgID and returns its
// reason.
func deadLetter(t *testing.T, js jetstream.JetStream, msgID string) string {
	t.Helper()
	return deadLetterMsg(t, js, msgID).Header.Get(consume.HeaderDeadReason)
}

// deadLetterMsg waits for the dead letter of message ID msgID and returns
// it.
func deadLetterMsg(t *testing.T, js jetstream.JetStream, msgID string) *jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	var found *jetstream.RawStreamMsg
	testkit.WaitFor(t, 20*time.Second, func() string { return "no dead letter for " + msgID }, func() bool {
		st, err := js.Stream(ctx, consume.DeadLetterStream)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		if err != nil {
			return false
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			if m, err := st.GetMsg(ctx, seq); err == nil && m.Header.Get(consume.HeaderDeadMsgID) == msgID {
				found = m
				return true
			}
		}
		return false
	})
	return found
}

// TestDeliverDeadLetters: a 400 is final at once; a receiver that keeps
// failing gets MaxDeliver requests; both messages are dead-lettered, the
// last try counted as such.
func TestDeliverDeadLetters(t *testing.T) {
	js, publish := setup(t, nil)
	rc := newReceiver(t, func(_ int, r *http.Request) int {
		if r.Header.Get(forward.HeaderEventID) == "evt_bad" {
			return http.StatusBadRequest
		}
		return http.StatusBadGateway
	})
	m, count := metrics(t)
	start(t, js, deliver.Target{Name: "orders", URL: rc.URL, MaxDeliver: 3, Backoff: []time.Duration{20 * time.Millisecond}}, m)
	publish("evt_bad", "", "", "{}")
	publish("evt_down", "", "", "{}")
	if got := deadLetter(t, js, "shop:evt_bad"); got != consume.ReasonPermanent {
		t.Errorf("evt_bad dead letter reason %q; want %s", got, consume.ReasonPermanent)
	}
	if got := deadLetter(t, js, "shop:evt_down"); got != consume.ReasonMaxDeliver {
		t.Errorf("evt_down dead letter reason %q; want %s", got, consume.ReasonMaxDeliver)
	}
	counts := map[string]int{}
	for _, r := range rc.requests() {
		counts[r.header.Get(forward.HeaderEventID)]++
	}
	if counts["evt_bad"] != 1 || counts["evt_down"] != 3 {
		t.Errorf("requests per event %v; want evt_bad 1, evt_down 3", counts)
	}
	for _, c := range []struct {
		outcome, code string
		want          float64
	}{{"dead_letter", "400", 1}, {"retry", "502", 2}, {"dead_letter", "502", 1}} {
		if got := count(c.outcome, c.code); got != c.want {
			t.Errorf("requests{outcome=%s,code=%s} = %v; want %v", c.outcome, c.code, got, c.want)
		}
	}
}

// TestDeliverCutAtStop: a request that a stop's deadline cuts at the last
// attempt is not dead-lettered: the event is delivered by the next start.
func TestDeliverCutAtStop(t *testing.T) {
	js, publish := setup(t, nil)
	started := make(chan struct{}, 1)
	hung := newReceiver(t, func(_ int, r *http.Request) int {
		started <- struct{}{}
		<-r.Context().Done()
		return http.StatusOK
	})
	m, count := metrics(t)
	publish("evt_1", "", "", "{}")
	d, err := deliver.Start(context.Background(), js, deliver.Target{Name: "orders", URL: hung.URL, MaxDeliver: 1, Timeout: time.Minute}, nil, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(20 * time.Second):
		t.Fatal("no request")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := d.Stop(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Stop = %v; want the deadline", err)
	}
	if err := d.Stop(context.Background()); err != nil { // waits for the cut request
		t.Fatal(err)
	}
	if got := count("retry", "none"); got != 1 {
		t.Errorf("requests{outcome=retry,code=none} = %v; want 1 (dead_letter: %v)", got, count("dead_letter", "none"))
	}
	rc := newReceiver(t, func(int, *http.Request) int { return http.StatusOK })
	start(t, js, deliver.Target{Name: "orders", URL: rc.URL, MaxDeliver: 1}, nil)
	testkit.WaitFor(t, 20*time.Second, testkit.Says("the cut event was not delivered by the next start"), func() bool {
		return len(rc.requests()) == 1
	})
}

// TestDeliverOrder: with four requests at once, each entity's events
// arrive in stream order even when one fails and waits out backoffs; the
// other entity's events do not wait for it: a1 fails until b3 has arrived.
func TestDeliverOrder(t *testing.T) {
	js, publish := setup(t, nil)
	var bDone atomic.Bool
	rc := newReceiver(t, func(_ int, r *http.Request) int {
		switch id := r.Header.Get(forward.HeaderEventID); {
		case id == "b3":
			bDone.Store(true)
		case id == "a1" && !bDone.Load():
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	start(t, js, deliver.Target{Name: "orders", URL: rc.URL, Concurrency: 4, MaxDeliver: 100000, Backoff: []time.Duration{20 * time.Millisecond}}, nil)
	for i := 1; i <= 3; i++ {
		publish(fmt.Sprint("a", i), "A", fmt.Sprint(i), "{}")
		publish(fmt.Sprint("b", i), "B", fmt.Sprint(i), "{}")
	}
	var a, b []string
	testkit.WaitFor(t, 60*time.Second, func() string { return fmt.Sprintf("delivered A %v, B %v", a, b) }, func() bool {
		a, b = nil, nil
		for _, r := range rc.requests() {
			switch id := r.header.Get(forward.HeaderEventID); {
			case r.status != http.StatusOK: // a1 before b3
			case id[0] == 'a':
				a = append(a, id)
			default:
				b = append(b, id)
			}
		}
		return len(a) == 3
	})
	if fmt.Sprint(a) != "[a1 a2 a3]" || fmt.Sprint(b) != "[b1 b2 b3]" {
		t.Errorf("delivered A %v, B %v; want each in order", a, b)
	}
}

// TestStartRefuses: a target without a name or URL, or that would set a
// header of the message, does not start.
func TestStartRefuses(t *testing.T) {
	js, _ := setup(t, nil)
	for name, tg := range map[string]deliver.Target{
		"no name":             {URL: "http://127.0.0.1:1/"},
		"no url":              {Name: "x"},
		"message header":      {Name: "x", URL: "http://127.0.0.1:1/", Headers: map[string]string{"hookgate-event-id": "forged"}},
		"content type header": {Name: "x", URL: "http://127.0.0.1:1/", Headers: map[string]string{"Content-Type": "text/plain"}},
		"url without scheme":  {Name: "x", URL: "127.0.0.1:1"},
		"ftp url":             {Name: "x", URL: "ftp://127.0.0.1/"},
	} {
		if _, err := deliver.Start(context.Background(), js, tg, nil, nil, nil); err == nil {
			t.Errorf("%s: deliver.Start = nil error; want ErrTarget", name)
		}
	}
}

// TestDeliverRedactsTheURL: what errors (and so dead letters and logs)
// show of the URL leaves its user information and query out.
func TestDeliverRedactsTheURL(t *testing.T) {
	js, publish := setup(t, nil)
	rc := newReceiver(t, func(_ int, r *http.Request) int { return http.StatusBadRequest })
	secretURL := strings.Replace(rc.URL, "http://", "http://svc:s3cr3t@", 1) + "/hook?token=T0KEN"
	start(t, js, deliver.Target{Name: "orders", URL: secretURL, Subjects: []string{"webhooks.shop.orders.>"}}, nil)
	publish("evt_1", "", "", "{}")
	msg := deadLetterMsg(t, js, "shop:evt_1").Header.Get(consume.HeaderDeadError)
	if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "T0KEN") || !strings.Contains(msg, "/hook") {
		t.Errorf("dead letter error %q; want the URL without its password and query", msg)
	}
	if got := deliver.RedactURL("https://u:p@h.example/p?q=1#f"); got != "https://h.example/p" {
		t.Errorf("RedactURL = %q", got)
	}
	// A request that gets no answer: net/http's error quotes the URL.
	start(t, js, deliver.Target{Name: "down", URL: "http://u:s3cr3t@127.0.0.1:1/hook?token=T0KEN", Subjects: []string{"webhooks.shop.down"}, MaxDeliver: 1}, nil)
	ctx := context.Background()
	dm := forward.Message{ID: "shop:evt_down", Subject: "webhooks.shop.down", Header: nats.Header{forward.HeaderEventID: {"evt_down"}}, Body: []byte("{}")}
	if _, err := js.PublishMsg(ctx, dm.NATSMsg(nil)); err != nil {
		t.Fatal(err)
	}
	if msg := deadLetterMsg(t, js, "shop:evt_down").Header.Get(consume.HeaderDeadError); strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "T0KEN") {
		t.Errorf("dead letter error %q holds the URL's secrets", msg)
	}
}
