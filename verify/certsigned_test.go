package verify_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/verify"
)

// The certificate-signed presets (sns, paypal) fetch their certificates
// over HTTPS; here a fake transport answers in place of AWS and PayPal, and
// records what was asked. Every private key is a throwaway made here.

// certPEMOf is a self-signed certificate of k, PEM.
func certPEMOf(k *rsa.PrivateKey) []byte {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore:    time.Unix(1600000000, 0),
		NotAfter:     time.Unix(1900000000, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		panic(err)
	}
	return []byte(kpPEM("CERTIFICATE", der))
}

// fakeAWS answers certificate GETs with cert (any .pem of an SNS host, any
// /v1/notifications/certs/ of a PayPal host) and SubscribeURL GETs with
// 200, and records every URL asked for.
type fakeAWS struct {
	cert []byte

	mu       sync.Mutex
	gets     []string
	confirm  int           // status of SubscribeURL answers; 0 means 200
	certCode int           // status of certificate answers; 0 means 200
	hold     chan struct{} // when not nil, certificate answers wait for it
}

func newFakeAWS(k *rsa.PrivateKey) *fakeAWS { return &fakeAWS{cert: certPEMOf(k)} }

func (f *fakeAWS) client() *http.Client { return &http.Client{Transport: f} }

func (f *fakeAWS) RoundTrip(r *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.gets = append(f.gets, r.URL.String())
	confirm, certCode, hold := f.confirm, f.certCode, f.hold
	f.mu.Unlock()
	answer := func(code int, body []byte) (*http.Response, error) {
		if code == 0 {
			code = http.StatusOK
		}
		return &http.Response{StatusCode: code, Status: http.StatusText(code), Body: io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)), Header: http.Header{}, Request: r}, nil
	}
	if r.URL.Query().Get("Action") == "ConfirmSubscription" {
		return answer(confirm, []byte("<ConfirmSubscriptionResponse/>"))
	}
	if hold != nil {
		<-hold
	}
	return answer(certCode, f.cert)
}

// asked returns the URLs asked for so far, and how many were
// SubscribeURL GETs.
func (f *fakeAWS) asked() (all []string, confirms int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range f.gets {
		if strings.Contains(u, "Action=ConfirmSubscription") {
			confirms++
		}
	}
	return append([]string(nil), f.gets...), confirms
}

const (
	snsTopic1 = "arn:aws:sns:us-east-1:123456789012:orders"
	snsTopic2 = "arn:aws:sns:eu-west-1:210987654321:billing.fifo"
	ppHook1   = "4JH86294D6297924G"
	ppHook2   = "96605875FF6516633"
)

var (
	certKey  = kpRSA()
	certFake = newFakeAWS(certKey)
	certSign = kpPrivatePEM(certKey)
)

func init() {
	addPresetCases(
		presetCase{
			name: "sns", opts: Options{HTTPClient: certFake.client()},
			secrets:       [2]string{snsTopic1, snsTopic2},
			private:       map[string]string{snsTopic1: snsTopic1 + "\n" + certSign, snsTopic2: snsTopic2 + "\n" + certSign},
			bodyNotSigned: false, // the body is the signed Message
		},
		presetCase{
			name: "paypal", opts: Options{HTTPClient: certFake.client()},
			secrets: [2]string{ppHook1, ppHook2},
			private: map[string]string{ppHook1: ppHook1 + "\n" + certSign, ppHook2: ppHook2 + "\n" + certSign},
		},
	)
}

// snsSigned signs an SNS message of type typ for topic with k at now,
// through Sign: a template body keeps its fields.
func snsSigned(t *testing.T, k *rsa.PrivateKey, topic string, fields map[string]string, at time.Time) *verify.Request {
	t.Helper()
	body, _ := json.Marshal(fields)
	r := &verify.Request{Method: "POST", URL: "https://hooks.example/webhooks/sns", Header: http.Header{}, Body: body}
	if err := verify.Sign("sns", r, Options{Secrets: []string{topic + "\n" + kpPrivatePEM(k)}}, at); err != nil {
		t.Fatalf("Sign(sns) = %v", err)
	}
	return r
}

func subscribeURL(topic, token string) string {
	return "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic) + "&Token=" + token
}

func confirmation(topic string) map[string]string {
	return map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": "2336412f37fb687f5d51e6e2425f004aed",
		"Message":      "You have chosen to subscribe to the topic " + topic + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		"SubscribeURL": subscribeURL(topic, "2336412f37fb687f5d51e6e2425f004aed")}
}

// TestSNSConfirmation: a verified SubscriptionConfirmation is confirmed
// by one GET of its SubscribeURL and answered; with auto_confirm false it
// is an event and nothing is fetched but the certificate; one verified
// only by an expired topic confirms nothing.
func TestSNSConfirmation(t *testing.T) {
	k := kpRSA()
	f := newFakeAWS(k)
	r := snsSigned(t, k, snsTopic1, confirmation(snsTopic1), now)
	v := mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client()})
	res, err := v.Verify(r, now)
	if err != nil || res.Response == nil {
		t.Fatalf("Verify(confirmation) = %+v, %v; want a handshake answer", res, err)
	}
	var answer map[string]string
	if json.Unmarshal(res.Response.Body, &answer) != nil || answer["topic"] != snsTopic1 || res.Response.ContentType != "application/json" {
		t.Errorf("answer = %s %q; want JSON naming the topic", res.Response.ContentType, res.Response.Body)
	}
	all, confirms := f.asked()
	if confirms != 1 || len(all) != 2 || all[1] != subscribeURL(snsTopic1, "2336412f37fb687f5d51e6e2425f004aed") {
		t.Errorf("asked %q; want the certificate, then SubscribeURL once", all)
	}
	// Sent again (SNS's retry, or a captured copy within the hour): the
	// same answer, no second GET.
	if res, err := v.Verify(r, now.Add(time.Minute)); err != nil || res.Response == nil {
		t.Errorf("Verify(the confirmation again) = %+v, %v; want the answer", res, err)
	}
	if _, c := f.asked(); c != 1 {
		t.Errorf("the confirmation sent again was confirmed again (%d GETs)", c)
	}

	// A dry run (hookgate verify, routes -request) answers as the gateway
	// would and confirms nothing.
	v = mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client(), DryRun: true})
	if res, err := v.Verify(r, now); err != nil || res.Response == nil {
		t.Errorf("Verify(confirmation, dry run) = %+v, %v; want the handshake answer", res, err)
	}
	if _, c := f.asked(); c != 1 {
		t.Errorf("a dry run confirmed the subscription")
	}

	off := false
	v = mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client(), AutoConfirm: &off})
	if res, err := v.Verify(r, now); err != nil || res.Response != nil {
		t.Errorf("Verify(confirmation, auto_confirm false) = %+v, %v; want an event", res, err)
	}
	if _, c := f.asked(); c != 1 {
		t.Errorf("auto_confirm false: %d confirmations; want none more", c-1)
	}

	v = mustVerifier(t, "sns", Options{Secrets: []string{snsTopic2, snsTopic1}, NotAfter: []time.Time{{}, now.Add(-time.Second)}, HTTPClient: f.client()})
	if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrSecretExpired) {
		t.Errorf("Verify(confirmation of an expired topic) = %v; want ErrSecretExpired", err)
	}
	if _, c := f.asked(); c != 1 {
		t.Errorf("an expired topic's confirmation was confirmed")
	}

	f.mu.Lock()
	f.confirm = http.StatusForbidden
	f.mu.Unlock()
	v = mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client()})
	refused := confirmation(snsTopic1)
	refused["Token"], refused["SubscribeURL"] = "77aa", subscribeURL(snsTopic1, "77aa")
	if _, err := v.Verify(snsSigned(t, k, snsTopic1, refused, now), now); !errors.Is(err, verify.ErrKeysUnavailable) {
		t.Errorf("Verify(confirmation that SNS refuses) = %v; want ErrKeysUnavailable (503, SNS sends it again)", err)
	}
}

// TestSNSUnsubscribeConfirmation: acknowledged, nothing fetched but the
// certificate; an event with auto_confirm false.
func TestSNSUnsubscribeConfirmation(t *testing.T) {
	k := kpRSA()
	f := newFakeAWS(k)
	m := confirmation(snsTopic1)
	m["Type"] = "UnsubscribeConfirmation"
	r := snsSigned(t, k, snsTopic1, m, now)
	res, err := mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client()}).Verify(r, now)
	if err != nil || res.Response == nil {
		t.Fatalf("Verify(unsubscribe) = %+v, %v; want an answer", res, err)
	}
	if all, c := f.asked(); c != 0 || len(all) != 1 {
		t.Errorf("asked %q; want the certificate only", all)
	}
}

// TestSNSRefusedBeforeFetch: a message whose certificate URL is not an SNS
// host's, or whose topic is not configured, or whose SubscribeURL is not
// SNS's, is refused without any request.
func TestSNSRefusedBeforeFetch(t *testing.T) {
	k := kpRSA()
	good := snsSigned(t, k, snsTopic1, map[string]string{"Type": "Notification", "MessageId": "m-1", "Message": "hello"}, now)
	withCertURL := func(u string) *verify.Request {
		var m map[string]any
		json.Unmarshal(good.Body, &m)
		m["SigningCertURL"] = u
		b, _ := json.Marshal(m)
		return &verify.Request{Method: "POST", Header: http.Header{}, Body: b}
	}
	cases := []struct {
		name string
		r    *verify.Request
		want error
	}{
		{"another host", withCertURL("https://evil.example/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"an S3 bucket of amazonaws.com", withCertURL("https://bucket.s3.amazonaws.com/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"an S3 bucket named sns on a legacy endpoint", withCertURL("https://sns.s3-us-west-2.amazonaws.com/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"a suffix trick", withCertURL("https://sns.us-east-1.amazonaws.com.evil.example/x.pem"), verify.ErrMalformed},
		{"http", withCertURL("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"user info", withCertURL("https://x@sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"user info host trick", withCertURL("https://sns.us-east-1.amazonaws.com@evil.example/a.pem"), verify.ErrMalformed},
		{"a port", withCertURL("https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem"), verify.ErrMalformed},
		{"not .pem", withCertURL("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.crt"), verify.ErrMalformed},
		{"a query", withCertURL("https://sns.us-east-1.amazonaws.com/x.pem?a=b"), verify.ErrMalformed},
		{"a deeper path", withCertURL("https://sns.us-east-1.amazonaws.com/a/b.pem"), verify.ErrMalformed},
		{"dot segments", withCertURL("https://sns.us-east-1.amazonaws.com/../b.pem"), verify.ErrMalformed},
		{"escapes", withCertURL("https://sns.us-east-1.amazonaws.com/%2e%2e.pem"), verify.ErrMalformed},
		{"a topic not configured", snsSigned(t, k, "arn:aws:sns:us-east-1:999999999999:attacker", map[string]string{"Message": "hi"}, now), verify.ErrMismatch},
		{"a confirmation to another host", snsSigned(t, k, snsTopic1, func() map[string]string {
			m := confirmation(snsTopic1)
			m["SubscribeURL"] = "https://evil.example/?Action=ConfirmSubscription&TopicArn=" + snsTopic1 + "&Token=2336412f37fb687f5d51e6e2425f004aed"
			return m
		}(), now), verify.ErrMalformed},
		{"a confirmation of another topic", snsSigned(t, k, snsTopic1, func() map[string]string {
			m := confirmation(snsTopic1)
			m["SubscribeURL"] = subscribeURL(snsTopic2, "2336412f37fb687f5d51e6e2425f004aed")
			return m
		}(), now), verify.ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAWS(k)
			_, err := mustVerifier(t, "sns", Options{Secrets: []string{snsTopic1}, HTTPClient: f.client()}).Verify(c.r, now)
			if !errors.Is(err, c.want) {
				t.Errorf("Verify = %v; want %v", err, c.want)
			}
			if all, _ := f.asked(); len(all) > 0 {
				t.Errorf("asked %q; want nothing fetched", all)
			}
		})
	}
}

// TestSNSMessages: the official layout's details.
func TestSNSMessages(t *testing.T) {
	k := kpRSA()
	f := newFakeAWS(k)
	o := Options{Secrets: []string{"arn:aws:sns:us-east-1:123456789012:*"}, HTTPClient: f.client()}
	v := mustVerifier(t, "sns", o)
	good := snsSigned(t, k, snsTopic1, map[string]string{"Type": "Notification", "MessageId": "m-1", "Subject": "Hi", "Message": "hello\nworld"}, now)
	if _, err := v.Verify(good, now); err != nil {
		t.Fatalf("Verify(a topic of the wildcard's account) = %v", err)
	}
	v1 := snsSigned(t, k, snsTopic1, map[string]string{"Type": "Notification", "MessageId": "m-1", "Message": "x", "SignatureVersion": "1"}, now)
	if !strings.Contains(string(v1.Body), `"SignatureVersion":"1"`) {
		t.Fatalf("Sign kept no SignatureVersion 1: %s", v1.Body)
	}
	if _, err := v.Verify(v1, now); err != nil {
		t.Errorf("Verify(SignatureVersion 1) = %v", err)
	}
	edit := func(r *verify.Request, old, new string) *verify.Request {
		return &verify.Request{Method: "POST", Header: r.Header.Clone(), Body: []byte(strings.Replace(string(r.Body), old, new, 1))}
	}
	for _, c := range []struct {
		name string
		r    *verify.Request
		want error
	}{
		{"subject changed", edit(good, `"Subject":"Hi"`, `"Subject":"Ho"`), verify.ErrMismatch},
		{"subject removed", edit(good, `"Subject":"Hi",`, ``), verify.ErrMismatch},
		{"message id changed", edit(good, `"MessageId":"m-1"`, `"MessageId":"m-2"`), verify.ErrMismatch},
		{"version 2 read as 1", edit(good, `"SignatureVersion":"2"`, `"SignatureVersion":"1"`), verify.ErrMismatch},
		{"version 3", edit(good, `"SignatureVersion":"2"`, `"SignatureVersion":"3"`), verify.ErrMalformed},
		{"unknown type", edit(good, `"Type":"Notification"`, `"Type":"Other"`), verify.ErrMalformed},
		{"duplicate message", edit(good, `"Subject":"Hi"`, `"Message":"evil","Subject":"Hi"`), verify.ErrMalformed},
		{"number message id", edit(good, `"MessageId":"m-1"`, `"MessageId":1`), verify.ErrMalformed},
		{"no signature", edit(good, `"Signature":`, `"Signature_":`), verify.ErrNoSignature},
		{"not json", &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte("Type=Notification")}, verify.ErrMalformed},
		{"type header differs", func() *verify.Request {
			r := edit(good, "", "")
			r.Header.Set("X-Amz-Sns-Message-Type", "SubscriptionConfirmation")
			return r
		}(), verify.ErrMalformed},
		// Not signed: the forwarded body may differ from SNS's in these.
		{"unsigned key added", edit(good, `"Subject":"Hi"`, `"Subject":"Hi","MessageAttributes":{"a":{"Type":"String","Value":"b"}}`), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := v.Verify(c.r, now)
			if !wantErr(err, c.want) {
				t.Errorf("Verify = %v; want %v", err, c.want)
			}
		})
	}
	if p, _ := verify.Lookup("sns"); !p.BodyUnsigned || !p.IDSigned() {
		t.Errorf("sns: BodyUnsigned %v, IDSigned %v; want true, true (MessageId is among the signed keys)", p.BodyUnsigned, p.IDSigned())
	}
	if _, err := verify.New("sns", Options{Secrets: []string{"arn:aws:sns:us-east-1:12345:orders"}}); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("New(sns, account of 5 digits) = %v; want ErrConfig", err)
	}
	if _, err := verify.New("sns", Options{Secrets: []string{"arn:aws:sqs:us-east-1:123456789012:orders"}}); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("New(sns, an SQS ARN) = %v; want ErrConfig", err)
	}
}

// TestPayPalRefusedBeforeFetch: a certificate URL that is not on a PayPal
// API host, or a wrong algorithm, is refused without any request.
func TestPayPalRefusedBeforeFetch(t *testing.T) {
	k := kpRSA()
	sign := func() *verify.Request {
		r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)}
		if err := verify.Sign("paypal", r, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k)}}, now); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, c := range []struct{ name, header, value string }{
		{"another host", "Paypal-Cert-Url", "https://evil.example/v1/notifications/certs/CERT-1"},
		{"www", "Paypal-Cert-Url", "https://www.paypal.com/v1/notifications/certs/CERT-1"},
		{"a suffix trick", "Paypal-Cert-Url", "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1"},
		{"http", "Paypal-Cert-Url", "http://api.paypal.com/v1/notifications/certs/CERT-1"},
		{"user info", "Paypal-Cert-Url", "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1"},
		{"a port", "Paypal-Cert-Url", "https://api.paypal.com:444/v1/notifications/certs/CERT-1"},
		{"another path", "Paypal-Cert-Url", "https://api.paypal.com/v1/oauth2/token"},
		{"a query", "Paypal-Cert-Url", "https://api.paypal.com/v1/notifications/certs/CERT-1?x=1"},
		{"SHA1withRSA", "Paypal-Auth-Algo", "SHA1withRSA"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeAWS(k)
			r := sign()
			r.Header.Set(c.header, c.value)
			_, err := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: f.client()}).Verify(r, now)
			if !errors.Is(err, verify.ErrMalformed) {
				t.Errorf("Verify = %v; want ErrMalformed", err)
			}
			if all, _ := f.asked(); len(all) > 0 {
				t.Errorf("asked %q; want nothing fetched", all)
			}
		})
	}
	for _, h := range []string{"api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com", "API.PayPal.com"} {
		f := newFakeAWS(k)
		r := sign()
		r.Header.Set("Paypal-Cert-Url", "https://"+h+"/v1/notifications/certs/CERT-"+rand.Text()) // a URL no other test caches
		if _, err := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: f.client()}).Verify(r, now); err != nil {
			t.Errorf("Verify(certificate on %s) = %v", h, err)
		}
	}
	if _, err := verify.New("paypal", Options{Secrets: []string{"WH-not/an id"}}); !errors.Is(err, verify.ErrConfig) {
		t.Errorf("New(paypal, a webhook ID with / and -) = %v; want ErrConfig", err)
	}
}

// TestPayPalCRC32IsNotAMAC keeps the scheme's gap visible: PayPal signs a
// CRC32 of the body, and four bytes chosen by anyone make another body
// match it, so a signed transmission verifies with a body of the
// attacker's (within the replay window). The preset says BodyUnsigned.
func TestPayPalCRC32IsNotAMAC(t *testing.T) {
	k := kpRSA()
	f := newFakeAWS(k)
	r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(`{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}`)}
	if err := verify.Sign("paypal", r, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k)}}, now); err != nil {
		t.Fatal(err)
	}
	forged := forgeCRC32([]byte(`{"id":"WH-2","event_type":"PAYMENT.CAPTURE.REFUNDED","pad":"`), crc32.ChecksumIEEE(r.Body))
	r.Body = forged
	if _, err := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: f.client()}).Verify(r, now); err != nil {
		t.Errorf("Verify(another body of the same CRC32) = %v; the gap this test documents is gone", err)
	}
	if p, _ := verify.Lookup("paypal"); !p.BodyUnsigned || p.IDSigned() {
		t.Errorf("paypal: BodyUnsigned %v, IDSigned %v; want true, false", p.BodyUnsigned, p.IDSigned())
	}
}

// forgeCRC32 appends to prefix the four bytes that make its CRC32 target,
// solving the 32 linear equations over GF(2) that CRC32 is.
func forgeCRC32(prefix []byte, target uint32) []byte {
	withTail := func(tail uint32) uint32 {
		b := append(append([]byte(nil), prefix...), byte(tail), byte(tail>>8), byte(tail>>16), byte(tail>>24))
		return crc32.ChecksumIEEE(b)
	}
	base := withTail(0)
	// Column j: what flipping bit j of the tail does to the CRC.
	var rows [32]uint64 // rows[i]: bits 0..31 the coefficients, bit 32 the right-hand side
	for j := range 32 {
		col := withTail(1<<j) ^ base
		for i := range 32 {
			if col>>i&1 == 1 {
				rows[i] |= 1 << j
			}
		}
	}
	want := target ^ base
	for i := range 32 {
		rows[i] |= uint64(want>>i&1) << 32
	}
	for c := range 32 {
		p := c
		for p < 32 && rows[p]>>c&1 == 0 {
			p++
		}
		if p == 32 {
			panic("CRC32 system is singular")
		}
		rows[c], rows[p] = rows[p], rows[c]
		for i := range 32 {
			if i != c && rows[i]>>c&1 == 1 {
				rows[i] ^= rows[c]
			}
		}
	}
	var tail uint32
	for i := range 32 {
		tail |= uint32(rows[i]>>32&1) << i
	}
	out := append(append([]byte(nil), prefix...), byte(tail), byte(tail>>8), byte(tail>>16), byte(tail>>24))
	if crc32.ChecksumIEEE(out) != target {
		panic("forgeCRC32 failed")
	}
	return out
}

// TestCertCache: concurrent requests for one uncached certificate share
// one fetch; a failed fetch is not repeated for 30 s (of the verifier's
// clock); a certificate is fetched again after a day; answers that are not
// a usable certificate are refused.
func TestCertCache(t *testing.T) {
	k := kpRSA()
	f := newFakeAWS(k)
	f.hold = make(chan struct{})
	v := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: f.client()})
	sign := func(at time.Time) *verify.Request {
		r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(`{"id":"WH-1"}`)}
		if err := verify.Sign("paypal", r, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k)}}, at); err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := sign(now)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := v.Verify(r, now)
			errs <- err
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if all, _ := f.asked(); len(all) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(f.hold)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Verify = %v", err)
		}
	}
	if all, _ := f.asked(); len(all) != 1 {
		t.Errorf("%d fetches for 8 concurrent requests; want 1", len(all))
	}
	f.mu.Lock()
	f.hold = nil
	f.mu.Unlock()
	later := now.Add(25 * time.Hour)
	if _, err := v.Verify(sign(later), later); err != nil {
		t.Errorf("Verify a day later = %v", err)
	}
	if all, _ := f.asked(); len(all) != 2 {
		t.Errorf("%d fetches after a day; want 2", len(all))
	}

	// A URL that serves no certificate.
	k2 := kpRSA()
	f2 := newFakeAWS(k2)
	f2.certCode = http.StatusNotFound
	v2 := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: f2.client()})
	r2 := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(`{}`)}
	if err := verify.Sign("paypal", r2, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k2)}}, now); err != nil {
		t.Fatal(err)
	}
	for i, at := range []time.Time{now, now.Add(10 * time.Second), now.Add(31 * time.Second)} {
		if _, err := v2.Verify(r2, at); !errors.Is(err, verify.ErrKeysUnavailable) {
			t.Errorf("Verify(certificate 404) = %v; want ErrKeysUnavailable", err)
		}
		if all, _ := f2.asked(); len(all) != []int{1, 1, 2}[i] {
			t.Errorf("after request %d: %d fetches; want %d", i+1, len(all), []int{1, 1, 2}[i])
		}
	}
}

// TestCertAnswers: what a certificate URL serves must be a PEM certificate
// of an RSA key of 2048 bits or more, under 64 KiB, without redirects.
func TestCertAnswers(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ec := kpEC()
	ecTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now, NotAfter: now.Add(time.Hour)}
	ecDER, _ := x509.CreateCertificate(rand.Reader, ecTmpl, ecTmpl, &ec.PublicKey, ec)
	for _, c := range []struct {
		name string
		rt   func(r *http.Request) (*http.Response, error)
	}{
		{"not PEM", answer(200, []byte("hello"), nil)},
		{"an EC key", answer(200, []byte(kpPEM("CERTIFICATE", ecDER)), nil)},
		{"1024 bits", answer(200, certPEMOf(small), nil)},
		{"too large", answer(200, bytes.Repeat([]byte("x"), 65<<10), nil)},
		{"a redirect", answer(302, nil, http.Header{"Location": {"https://evil.example/cert.pem"}})},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := kpRSA() // a URL of its own: nothing cached
			r := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(`{}`)}
			if err := verify.Sign("paypal", r, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k)}}, now); err != nil {
				t.Fatal(err)
			}
			v := mustVerifier(t, "paypal", Options{Secrets: []string{ppHook1}, HTTPClient: &http.Client{Transport: roundTripFunc(c.rt)}})
			if _, err := v.Verify(r, now); !errors.Is(err, verify.ErrKeysUnavailable) {
				t.Errorf("Verify = %v; want ErrKeysUnavailable", err)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func answer(code int, body []byte, h http.Header) func(*http.Request) (*http.Response, error) {
	return func(r *http.Request) (*http.Response, error) {
		if h == nil {
			h = http.Header{}
		}
		return &http.Response{StatusCode: code, Status: fmt.Sprint(code), Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
	}
}

// TestCertSignLayouts checks the two presets' signatures against the
// documented content, computed here.
func TestCertSignLayouts(t *testing.T) {
	k := kpRSA()
	body := []byte(`{"id":"WH-9","event_type":"X.Y"}`)
	r := &verify.Request{Method: "POST", Header: http.Header{"Paypal-Transmission-Id": {"t-1"}}, Body: body}
	if err := verify.Sign("paypal", r, Options{Secrets: []string{ppHook1 + "\n" + kpPrivatePEM(k)}}, now); err != nil {
		t.Fatal(err)
	}
	signed := fmt.Sprintf("t-1|%s|%s|%d", now.UTC().Format(time.RFC3339), ppHook1, crc32.ChecksumIEEE(body))
	sig, _ := base64.StdEncoding.DecodeString(r.Header.Get("Paypal-Transmission-Sig"))
	sum := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("paypal signature is not SHA256withRSA of %q: %v", signed, err)
	}

	s := snsSigned(t, k, snsTopic1, map[string]string{"Type": "Notification", "MessageId": "m-1", "Message": "hi"}, now)
	var m map[string]string
	if err := json.Unmarshal(s.Body, &m); err != nil {
		t.Fatal(err)
	}
	content := "Message\nhi\nMessageId\nm-1\nTimestamp\n" + m["Timestamp"] + "\nTopicArn\n" + snsTopic1 + "\nType\nNotification\n"
	sig, _ = base64.StdEncoding.DecodeString(m["Signature"])
	sum = sha256.Sum256([]byte(content))
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("sns signature is not SHA256withRSA of %q: %v", content, err)
	}
	if m["Timestamp"] != "2023-11-14T22:13:20.000Z" || !strings.HasPrefix(m["SigningCertURL"], "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-") {
		t.Errorf("sns message = %s", s.Body)
	}
}
