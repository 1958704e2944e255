package consume

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestKey(t *testing.T) {
	cases := []struct {
		name string
		ev   Event
		want string
	}{
		{"event", Event{MsgID: "stripe:evt_1", Provider: "stripe", ID: "evt_1"}, "stripe:evt_1"},
		{"route copy", Event{MsgID: "stripe@vip:evt_1", Provider: "stripe", ID: "evt_1", Route: "vip"}, "stripe@vip:evt_1"},
		{"replay", Event{MsgID: "stripe:evt_1:replay:r-9", Provider: "stripe", ID: "evt_1", Replay: "r-9"}, "stripe:evt_1"},
		{"replayed route copy", Event{MsgID: "stripe@vip:evt_1:replay:r-9", Route: "vip", Replay: "r-9"}, "stripe@vip:evt_1"},
		{"event ID with colons", Event{MsgID: "generic:a:replay:b", Replay: "r"}, "generic:a:replay:b"},
		{"no message ID", Event{Provider: "gh", ID: "d-1", Route: "ci"}, "gh@ci:d-1"},
		{"no message ID, an event ID with @", Event{Provider: "gh", ID: "d-1@ci"}, "gh:d-1@ci"},
		{"nothing", Event{Provider: "gh"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ev.Key(); got != tc.want {
				t.Errorf("Key(%+v) = %q; want %q", tc.ev, got, tc.want)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	cases := []struct {
		contentType string
		body        string
		wantErr     error // nil: decoded
	}{
		{"application/json", `{"id":"x"}`, nil},
		{"application/json; charset=utf-8", `{"id":"x"}`, nil},
		{"application/cloudevents+json", `{"id":"x"}`, nil},
		{"", `{"id":"x"}`, nil},
		{"application/x-www-form-urlencoded", `id=x`, ErrNotJSON},
		{"text/xml", `<id>x</id>`, ErrNotJSON},
		{"application/json", `{"id":`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.contentType, func(t *testing.T) {
			ev := &Event{ContentType: tc.contentType, Body: []byte(tc.body)}
			var v struct{ ID string }
			err := ev.Decode(&v)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.contentType) {
					t.Errorf("Decode = %v; want %v naming %q", err, tc.wantErr, tc.contentType)
				}
			case strings.HasSuffix(tc.body, "}"):
				if err != nil || v.ID != "x" {
					t.Errorf("Decode = %+v, %v; want x", v, err)
				}
			default:
				if err == nil || errors.Is(err, ErrNotJSON) {
					t.Errorf("Decode(%q) = %v; want a JSON syntax error", tc.body, err)
				}
			}
		})
	}
}

func TestSubjectMatches(t *testing.T) {
	cases := []struct {
		filter, subject string
		want            bool
	}{
		{">", "hookgate.dead.svc", true},
		{"hookgate.>", "hookgate.dead.svc", true},
		{"hookgate.dead.>", "hookgate.dead.svc", true},
		{"hookgate.dead.svc.>", "hookgate.dead.svc", false},
		{"hookgate.*.svc", "hookgate.dead.svc", true},
		{"*.*", "hookgate.dead.svc", false},
		{"*.*.*", "hookgate.dead.svc", true},
		{"webhooks.>", "hookgate.dead.svc", false},
		{"hookgate.dead.svc", "hookgate.dead.svc", true},
		{"hookgate.dead", "hookgate.dead.svc", false},
	}
	for _, tc := range cases {
		if got := subjectMatches(tc.filter, tc.subject); got != tc.want {
			t.Errorf("subjectMatches(%q, %q) = %v; want %v", tc.filter, tc.subject, got, tc.want)
		}
	}
}

func TestOptionsDefaults(t *testing.T) {
	o, err := Options{Durable: "billing"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"Stream", o.Stream, "WEBHOOKS"}, {"Concurrency", o.Concurrency, 1}, {"MaxDeliver", o.MaxDeliver, 5},
		{"AckWait", o.AckWait, 30 * time.Second}, {"MaxAckPending", o.MaxAckPending, 1000},
		{"DeadLetterSubject", o.DeadLetterSubject, "hookgate.dead.billing"},
		{"backoff(1)", o.backoff(1), time.Second}, {"backoff(4)", o.backoff(4), 2 * time.Minute},
		{"backoff(9)", o.backoff(9), 2 * time.Minute},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
	if _, err := (Options{Durable: "x", AckWait: time.Millisecond}).withDefaults(); !errors.Is(err, ErrOptions) {
		t.Errorf("AckWait 1ms: %v; want ErrOptions", err)
	}
	if _, err := (Options{Durable: "x", Backoff: []time.Duration{-1}}).withDefaults(); !errors.Is(err, ErrOptions) {
		t.Errorf("negative backoff: %v; want ErrOptions", err)
	}
	if got := defaultFilters([]string{"webhooks.>", "_hg.claim.>", "_hg.ver.>", "stale.>"}); fmt.Sprint(got) != "[webhooks.> stale.>]" {
		t.Errorf("defaultFilters = %q; want [webhooks.> stale.>]", got)
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("bad body")
	err := fmt.Errorf("handler: %w", Permanent(base))
	var p *PermanentError
	if !errors.As(err, &p) || !errors.Is(err, base) || !isPermanent(err) {
		t.Errorf("Permanent(%v) wrapped: As %v, Is %v; want both", base, errors.As(err, &p), errors.Is(err, base))
	}
	if isPermanent(base) || Permanent(nil) != nil {
		t.Error("a plain error is permanent, or Permanent(nil) is not nil")
	}
}

func TestOneLine(t *testing.T) {
	if got := oneLine("a\r\nb\nc", 100); got != "a  b c" {
		t.Errorf("oneLine = %q; want line breaks as spaces", got)
	}
	if got := oneLine("ééé", 3); got != "é" {
		t.Errorf("oneLine(ééé, 3) = %q; want é (cut at a rune boundary)", got)
	}
}

// TestHeadersWithoutCase: the gateway's headers are read whatever their
// spelling (the signature covers names without case), so a copy with
// lower-cased names is the same event: same key, same ordering key.
func TestHeadersWithoutCase(t *testing.T) {
	h := nats.Header{"nats-msg-id": {"stripe:evt_1:replay:r1"}, "hookgate-replay": {"r1"}, "HOOKGATE-PROVIDER": {"stripe"},
		"hookgate-event-id": {"evt_1"}, "hookgate-ordering-key": {"cus_1"}}
	ev := newEvent("webhooks.stripe.x", h, nil, "WEBHOOKS", 1, time.Time{}, 1)
	if ev.Replay != "r1" || ev.OrderingKey != "cus_1" || ev.Provider != "stripe" || ev.Key() != "stripe:evt_1" {
		t.Errorf("event = %+v, key %q; want replay r1, ordering key cus_1, key stripe:evt_1", ev, ev.Key())
	}
}
