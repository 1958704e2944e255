package verify_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// TestTemplateHeader covers the three header formats of hmac-template, the
// placeholders and the timestamp sources.
func TestTemplateHeader(t *testing.T) {
	const secret, body = "s3cret", `{"id":"evt_1"}`
	ts := strconv.FormatInt(now.Unix(), 10)
	tsOld := strconv.FormatInt(now.Add(-301*time.Second).Unix(), 10)
	hx := func(msg string) string { return hex.EncodeToString(hmacOf(sha256.New, secret, msg)) }
	b64 := func(msg string) string {
		return base64.StdEncoding.EncodeToString(hmacOf(sha256.New, secret, msg))
	}
	good, other := hx(ts+"."+body), hx(ts+"."+body+"x")
	stripe := Options{Header: "X-Sig", Format: "kv", Template: "{timestamp}.{body}"}
	paddle := Options{Header: "X-Sig", Format: "kv;:ts,h1", Template: "{timestamp}:{body}", Encoding: "base64"}
	slack := Options{Header: "X-Sig", Prefix: "v0=", Template: "v0:{timestamp}:{body}", TimestampHeader: "X-Ts"}
	list := Options{Header: "X-Sig", Format: "list", Prefix: "v1="}
	swList := Options{Header: "X-Sig", Format: "list", Prefix: "v1,", Encoding: "base64"}
	noTS := Options{Header: "X-Sig", Format: "kv:,v1", Prefix: "sha256="}
	request := Options{Header: "X-Sig", Template: "{method} {url} {header:X-Id}|{body}|{header:x-tenant}"}
	rfc := Options{Header: "X-Sig", Template: "{body}{timestamp}", TimestampHeader: "X-Ts", Encoding: "base64"}
	rfcTS := now.UTC().Format(time.RFC3339Nano)

	tests := []struct {
		name   string
		o      Options
		header http.Header
		want   error // nil: valid
	}{
		{name: "kv", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v1=" + good}}},
		{name: "kv keys in any order", o: stripe, header: http.Header{"X-Sig": {"v1=" + good + ",t=" + ts}}},
		{name: "kv unknown keys ignored", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v0=abc,v1=" + good + ",x=y"}}},
		{name: "kv second signature matches", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v1=" + other + ",v1=" + good}}},
		{name: "kv bad signature ignored", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v1=zz,v1=" + good}}},
		{name: "kv spaces and empty pairs", o: stripe, header: http.Header{"X-Sig": {" t=" + ts + " ,, v1=" + good + ","}}},
		{name: "kv semicolon, base64 padding", o: paddle, header: http.Header{"X-Sig": {"ts=" + ts + "; h1=" + b64(ts+":"+body)}}},
		{name: "kv without timestamp key", o: noTS, header: http.Header{"X-Sig": {"v1=sha256=" + hx(body)}}},
		{name: "kv without timestamp key, t ignored", o: noTS, header: http.Header{"X-Sig": {"t=1,v1=sha256=" + hx(body)}}},
		{name: "kv no timestamp", o: stripe, header: http.Header{"X-Sig": {"v1=" + good}}, want: verify.ErrMalformed},
		{name: "kv timestamp twice", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",t=" + ts + ",v1=" + good}}, want: verify.ErrMalformed},
		{name: "kv pair without =", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v1"}}, want: verify.ErrMalformed},
		{name: "kv no usable signature", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + ",v1=abcd"}}, want: verify.ErrMalformed},
		{name: "kv nine signatures", o: stripe, header: http.Header{"X-Sig": {"t=" + ts + strings.Repeat(",v1="+other, 9)}}, want: verify.ErrMalformed},
		{name: "kv timestamp not a time", o: stripe, header: http.Header{"X-Sig": {"t=yesterday,v1=" + good}}, want: verify.ErrMalformed},
		{name: "kv comma separator given semicolons", o: paddle, header: http.Header{"X-Sig": {"ts=" + ts + "," + "h1=" + b64(ts+":"+body)}}, want: verify.ErrMalformed},
		{name: "kv other timestamp", o: stripe, header: http.Header{"X-Sig": {"t=" + tsOld + ",v1=" + good}}, want: verify.ErrMismatch},
		{name: "kv too old", o: stripe, header: http.Header{"X-Sig": {"t=" + tsOld + ",v1=" + hx(tsOld+"."+body)}}, want: verify.ErrTooOld},
		{name: "plain with timestamp header", o: slack, header: http.Header{"X-Sig": {"v0=" + hx("v0:"+ts+":"+body)}, "X-Ts": {ts}}},
		{name: "plain prefix case-insensitive", o: slack, header: http.Header{"X-Sig": {"V0=" + hx("v0:"+ts+":"+body)}, "X-Ts": {ts}}},
		{name: "plain without prefix", o: slack, header: http.Header{"X-Sig": {hx("v0:" + ts + ":" + body)}, "X-Ts": {ts}}, want: verify.ErrMalformed},
		{name: "plain missing timestamp header", o: slack, header: http.Header{"X-Sig": {"v0=" + hx("v0:"+ts+":"+body)}}, want: verify.ErrNoSignature},
		{name: "plain timestamp with sign", o: slack, header: http.Header{"X-Sig": {"v0=" + hx("v0:+"+ts+":"+body)}, "X-Ts": {"+" + ts}}, want: verify.ErrMalformed},
		{name: "RFC 3339 timestamp", o: rfc, header: http.Header{"X-Sig": {b64(body + rfcTS)}, "X-Ts": {rfcTS}}},
		{name: "list comma-separated", o: list, header: http.Header{"X-Sig": {"v1=" + other + ",v1=" + hx(body)}}},
		{name: "list space-separated", o: list, header: http.Header{"X-Sig": {"v1=" + other + " v1=" + hx(body)}}},
		{name: "list other versions ignored", o: list, header: http.Header{"X-Sig": {"v0=" + hx(body) + ", v2=x, v1=" + hx(body)}}},
		{name: "list only other versions", o: list, header: http.Header{"X-Sig": {"v0=" + hx(body)}}, want: verify.ErrMalformed},
		{name: "list mismatch", o: list, header: http.Header{"X-Sig": {"v1=" + other}}, want: verify.ErrMismatch},
		{name: "list with comma in prefix", o: swList, header: http.Header{"X-Sig": {"v1a,xyz v1," + b64("x") + "  v1," + b64(body)}}},
		{name: "placeholders", o: request, header: http.Header{"X-Sig": {hx("POST https://example.com/hook?a=1 id-1|" + body + "|acme")}, "X-Id": {"id-1"}, "X-Tenant": {"acme"}}},
		{name: "placeholder header missing", o: request, header: http.Header{"X-Sig": {hx("POST https://example.com/hook?a=1 id-1|" + body + "|")}, "X-Id": {"id-1"}}, want: verify.ErrNoSignature},
		{name: "placeholder header changed", o: request, header: http.Header{"X-Sig": {hx("POST https://example.com/hook?a=1 id-1|" + body + "|acme")}, "X-Id": {"id-2"}, "X-Tenant": {"acme"}}, want: verify.ErrMismatch},
		{name: "no signature header", o: stripe, header: http.Header{"X-Other": {"t=" + ts + ",v1=" + good}}, want: verify.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{"another", secret}
			v := mustVerifier(t, "hmac-template", o)
			r := &verify.Request{Method: "POST", URL: "https://example.com/hook?a=1", Header: tt.header, Body: []byte(body)}
			checkVerifyIndex(t, v, r, now, tt.want, 1)
		})
	}
}

// TestTemplateStandardWebhooks configures hmac-template as Standard
// Webhooks and checks the official vector (spec and
// libraries/go/webhook_test.go). The secret is the decoded whsec_ key, as
// the generic scheme uses keys byte for byte.
func TestTemplateStandardWebhooks(t *testing.T) {
	key, err := base64.StdEncoding.DecodeString("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	v, err := verify.New("hmac-template", Options{
		Secrets: []string{string(key)}, Header: "webhook-signature", Format: "list", Prefix: "v1,", Encoding: "base64",
		Template: "{header:webhook-id}.{timestamp}.{body}", TimestampHeader: "webhook-timestamp",
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &verify.Request{
		Header: http.Header{
			"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
			"Webhook-Timestamp": {"1614265330"},
			"Webhook-Signature": {"v1a,ignored v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
		},
		Body: []byte(`{"test": 2432232314}`),
	}
	if _, err := v.Verify(r, time.Unix(1614265330, 0)); err != nil {
		t.Errorf("Verify(standard webhooks vector) = %v; want valid", err)
	}
	if _, err := v.Verify(r, time.Unix(1614265330+301, 0)); !errors.Is(err, verify.ErrTooOld) {
		t.Errorf("Verify(standard webhooks vector, 301 s later) = %v; want %v", err, verify.ErrTooOld)
	}
}

// TestTemplateSign checks the header Sign writes in each format against an
// independently computed MAC.
func TestTemplateSign(t *testing.T) {
	const secret, body = "s3cret", "payload"
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name string
		o    Options
		want func(r *verify.Request) http.Header
	}{
		{"plain", Options{Header: "X-Sig", Prefix: "sha1=", Algorithm: "sha1"}, func(*verify.Request) http.Header {
			return http.Header{"X-Sig": {"sha1=" + hex.EncodeToString(hmacOf(sha1.New, secret, body))}}
		}},
		{"kv", Options{Header: "X-Sig", Format: "kv", Template: "{timestamp}.{body}"}, func(*verify.Request) http.Header {
			return http.Header{"X-Sig": {"t=" + ts + ",v1=" + hex.EncodeToString(hmacOf(sha256.New, secret, ts+"."+body))}}
		}},
		{"kv semicolon", Options{Header: "X-Sig", Format: "kv;:ts,h1", Template: "{timestamp}:{body}"}, func(*verify.Request) http.Header {
			return http.Header{"X-Sig": {"ts=" + ts + ";h1=" + hex.EncodeToString(hmacOf(sha256.New, secret, ts+":"+body))}}
		}},
		{"kv untimed", Options{Header: "X-Sig", Format: "kv", Encoding: "base64", Algorithm: "sha512"}, func(*verify.Request) http.Header {
			return http.Header{"X-Sig": {"v1=" + base64.StdEncoding.EncodeToString(hmacOf(sha512.New, secret, body))}}
		}},
		{"list with timestamp header", Options{Header: "X-Sig", Format: "list", Prefix: "v1,", Template: "{header:X-Id}.{timestamp}.{body}", TimestampHeader: "X-Ts"}, func(r *verify.Request) http.Header {
			id := r.Header.Get("X-Id")
			return http.Header{"X-Id": {id}, "X-Ts": {ts}, "X-Sig": {"v1," + hex.EncodeToString(hmacOf(sha256.New, secret, id+"."+ts+"."+body))}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{secret}
			r := &verify.Request{Method: "POST", Body: []byte(body)}
			if err := verify.Sign("hmac-template", r, o, now); err != nil {
				t.Fatal(err)
			}
			want := tt.want(r)
			for _, k := range sortedKeys(want) {
				if got := r.Header.Get(k); got != want.Get(k) || got == "" {
					t.Errorf("Sign(%s) header %s = %q; want %q", tt.name, k, got, want.Get(k))
				}
			}
			if len(r.Header) != len(want) {
				t.Errorf("Sign(%s) = %v; want only %v", tt.name, r.Header, want)
			}
		})
	}
}

// TestTemplateNewErrors checks that options which cannot be verified, or
// would verify less than they seem to, are refused.
func TestTemplateNewErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
	}{
		{name: "no header", o: Options{}},
		{name: "bad header", o: Options{Header: "X Sig"}},
		{name: "bad algorithm", o: Options{Header: "X-Sig", Algorithm: "md5"}},
		{name: "bad encoding", o: Options{Header: "X-Sig", Encoding: "base32"}},
		{name: "bad format", o: Options{Header: "X-Sig", Format: "json"}},
		{name: "kv bad separator", o: Options{Header: "X-Sig", Format: "kv=:t,v1"}},
		{name: "kv keys without colon", o: Options{Header: "X-Sig", Format: "kv;t,v1"}},
		{name: "kv one key", o: Options{Header: "X-Sig", Format: "kv:t"}},
		{name: "kv no signature key", o: Options{Header: "X-Sig", Format: "kv:t,"}},
		{name: "kv same keys", o: Options{Header: "X-Sig", Format: "kv:t,t"}},
		{name: "kv key with =", o: Options{Header: "X-Sig", Format: "kv:t=,v1"}},
		{name: "no body", o: Options{Header: "X-Sig", Template: "{timestamp}", TimestampHeader: "X-Ts"}},
		{name: "body twice", o: Options{Header: "X-Sig", Template: "{body}{body}"}},
		{name: "unknown placeholder", o: Options{Header: "X-Sig", Template: "{nonce}.{body}"}},
		{name: "id without header", o: Options{Header: "X-Sig", Template: "{id}.{body}"}},
		{name: "bad header placeholder", o: Options{Header: "X-Sig", Template: "{header:X Id}.{body}"}},
		{name: "empty header placeholder", o: Options{Header: "X-Sig", Template: "{header:}.{body}"}},
		{name: "unclosed brace", o: Options{Header: "X-Sig", Template: "{body"}},
		{name: "stray closing brace", o: Options{Header: "X-Sig", Template: "}{body}"}},
		{name: "signature header signed", o: Options{Header: "X-Sig", Template: "{header:x-sig}{body}"}},
		{name: "timestamp without source", o: Options{Header: "X-Sig", Template: "{timestamp}.{body}"}},
		{name: "timestamp in list without header", o: Options{Header: "X-Sig", Format: "list", Template: "{timestamp}.{body}"}},
		{name: "kv without timestamp key nor header", o: Options{Header: "X-Sig", Format: "kv:,v1", Template: "{timestamp}.{body}"}},
		{name: "two timestamp sources", o: Options{Header: "X-Sig", Format: "kv", Template: "{timestamp}.{body}", TimestampHeader: "X-Ts"}},
		{name: "timestamp header is the signature header", o: Options{Header: "X-Sig", Template: "{timestamp}.{body}", TimestampHeader: "x-sig"}},
		{name: "timestamp header not signed", o: Options{Header: "X-Sig", TimestampHeader: "X-Ts"}},
		{name: "tolerance without timestamp", o: Options{Header: "X-Sig", Tolerance: time.Minute}},
		{name: "bad timestamp header", o: Options{Header: "X-Sig", Template: "{timestamp}.{body}", TimestampHeader: "X:Ts"}},
		{name: "not an option of the scheme", o: Options{Header: "X-Sig", VerifyToken: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Secrets = []string{"s"}
			checkNewRefused(t, "hmac-template", o, verify.ErrConfig)
			checkSignRefused(t, "hmac-template", o, verify.ErrConfig)
		})
	}
	o := Options{Secrets: []string{"s"}, Header: "X-Sig", Template: "{timestamp}.{body}", TimestampHeader: "X-Ts", Tolerance: time.Minute}
	if _, err := verify.New("hmac-template", o); err != nil {
		t.Errorf("New(timed, custom tolerance) = %v; want nil", err)
	}
}
