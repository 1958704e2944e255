package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/verify"
)

// The certificate-signed presets fetch their signing certificates from
// AWS's and PayPal's hosts. Here, without the internet, a TLS server on
// 127.0.0.1 plays those hosts (its certificate, for the hosts' names, is
// issued by a CA of the test's), and an HTTP CONNECT proxy on 127.0.0.1
// tunnels every CONNECT to it; the binary runs with HTTPS_PROXY naming the
// proxy and SSL_CERT_FILE the CA, as a gateway behind an egress proxy
// would.

// fakeHosts is the TLS server that answers for sns.us-east-1.amazonaws.com
// and api.sandbox.paypal.com: any .pem or /v1/notifications/certs/ path
// serves cert, and a SubscribeURL GET is counted and answered 200.
type fakeHosts struct {
	cert []byte

	mu       sync.Mutex
	requests []string // "host path?query" of every request
	connects []string // CONNECT targets the proxy was asked for
}

func (f *fakeHosts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Host+" "+r.URL.RequestURI())
	f.mu.Unlock()
	switch {
	case r.URL.Query().Get("Action") == "ConfirmSubscription":
		io.WriteString(w, "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>arn:x</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>")
	case strings.HasSuffix(r.URL.Path, ".pem") || strings.HasPrefix(r.URL.Path, "/v1/notifications/certs/"):
		w.Write(f.cert)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeHosts) seen() (requests, connects []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...), append([]string(nil), f.connects...)
}

// startFakeHosts starts the TLS server and the CONNECT proxy, and returns
// the proxy's URL and the CA's PEM file.
func startFakeHosts(t *testing.T, f *fakeHosts, hosts ...string) (proxyURL, caFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hookgate test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(f)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER}, PrivateKey: srvKey}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	target := srv.Listener.Addr().String()

	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodConnect {
			http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
			return
		}
		f.mu.Lock()
		f.connects = append(f.connects, r.Host)
		f.mu.Unlock()
		up, err := net.Dial("tcp", target)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			up.Close()
			return
		}
		io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
		go func() {
			io.Copy(up, buf)
			up.Close()
		}()
		io.Copy(conn, up)
		conn.Close()
	}))
	t.Cleanup(proxy.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return proxy.URL, caFile
}

// startBinaryEnv is startBinary with env added to the environment (a
// variable set there replaces the test process's, and the proxy variables
// are dropped from it).
func startBinaryEnv(tb testing.TB, bin, cfg string, env ...string) *gatewayProcess {
	tb.Helper()
	cmd := exec.Command(bin, "serve", "-config", cfg)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, env...)
	return startCmd(tb, cmd)
}

// post sends body with header h to the gateway's path and returns the
// status and answer.
func postTo(t *testing.T, base, path string, h http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return testkit.Do(t, req)
}

// streamMsg waits for the stream message of event ID id.
func eventOnStream(t *testing.T, g *gatewayProcess, id string) *jetstream.RawStreamMsg {
	t.Helper()
	st := g.stream(t)
	var found *jetstream.RawStreamMsg
	testkit.WaitFor(t, 20*time.Second, testkit.Says("message "+id+" on the stream"), func() bool {
		for seq := uint64(1); ; seq++ {
			msg, err := st.GetMsg(context.Background(), seq)
			if err != nil {
				return false
			}
			if msg.Header.Get(forward.HeaderMsgID) == id {
				found = msg
				return true
			}
		}
	})
	return found
}

// TestBinarySNSAndPayPalCertificates runs the built binary with an sns and
// a paypal provider behind the fake hosts: a SubscriptionConfirmation is
// verified and its SubscribeURL visited once, a notification is accepted
// and on the stream, a forged one refused, one whose certificate URL is on
// another host refused without any fetch; a PayPal event is accepted, with
// its certificate from api.sandbox.paypal.com, and a forged one refused.
func TestBinarySNSAndPayPalCertificates(t *testing.T) {
	bin := mustBinary(t)
	signKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	signTmpl := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	signDER, err := x509.CreateCertificate(rand.Reader, signTmpl, signTmpl, &signKey.PublicKey, signKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(signKey)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	f := &fakeHosts{cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: signDER})}
	proxyURL, caFile := startFakeHosts(t, f, "sns.us-east-1.amazonaws.com", "api.sandbox.paypal.com")

	const topic = "arn:aws:sns:us-east-1:123456789012:orders"
	const webhookID = "4JH86294D6297924G"
	cfg := gatewayConfig(t, testkit.EmbeddedNATS, `providers:
  - name: sns
    type: sns
    secrets: ["`+topic+`"]
  - name: paypal
    type: paypal
    secrets: [`+webhookID+`]`)
	g := startBinaryEnv(t, bin, cfg, "HTTPS_PROXY="+proxyURL, "NO_PROXY=127.0.0.1,localhost", "SSL_CERT_FILE="+caFile)
	base := "http://" + g.addr

	snsMsg := func(fields map[string]string) (http.Header, []byte) {
		body, _ := json.Marshal(fields)
		r := &verify.Request{Method: "POST", Header: http.Header{}, Body: body}
		if err := verify.Sign("sns", r, verify.Options{Secrets: []string{topic + "\n" + keyPEM}}, time.Now()); err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		json.Unmarshal(r.Body, &m)
		h := http.Header{"Content-Type": {"text/plain; charset=UTF-8"}, "X-Amz-Sns-Message-Type": {m["Type"]},
			"X-Amz-Sns-Message-Id": {m["MessageId"]}, "X-Amz-Sns-Topic-Arn": {topic}}
		return h, r.Body
	}

	// The subscription confirmation: verified, confirmed once, answered.
	token := "2336412f37fb687f5d51e6e2425f004aedb5ba1f7dd5d19a5d7a3e0a4ee8b4a3"
	subscribe := "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topic) + "&Token=" + token
	h, body := snsMsg(map[string]string{"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		"Token": token, "Message": "You have chosen to subscribe to the topic " + topic + ".", "SubscribeURL": subscribe})
	code, answer := postTo(t, base, "/webhooks/sns", h, body)
	var got map[string]string
	if code != http.StatusOK || json.Unmarshal([]byte(answer), &got) != nil || got["status"] != "subscription confirmed" || got["topic"] != topic {
		t.Fatalf("confirmation: %d %s; want 200 {status: subscription confirmed, topic}\n%s", code, answer, g.logs)
	}
	requests, connects := f.seen()
	confirms := 0
	for _, r := range requests {
		if strings.Contains(r, "Action=ConfirmSubscription") {
			confirms++
			if !strings.HasPrefix(r, "sns.us-east-1.amazonaws.com /?Action=ConfirmSubscription") || !strings.Contains(r, "Token="+token) {
				t.Errorf("SubscribeURL GET %q; want the message's", r)
			}
		}
	}
	if confirms != 1 {
		t.Errorf("SubscribeURL visited %d times; want once (requests %q)", confirms, requests)
	}
	for _, c := range connects {
		if c != "sns.us-east-1.amazonaws.com:443" {
			t.Errorf("CONNECT %s; want only sns.us-east-1.amazonaws.com:443", c)
		}
	}

	// A notification: accepted, on the stream byte for byte.
	h, body = snsMsg(map[string]string{"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"Subject": "order paid", "Message": `{"order":"o-1","status":"paid"}`})
	if code, answer := postTo(t, base, "/webhooks/sns", h, body); code != http.StatusAccepted || !strings.Contains(answer, "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324") {
		t.Fatalf("notification: %d %s; want 202\n%s", code, answer, g.logs)
	}
	msg := eventOnStream(t, g, "sns:22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324")
	if msg.Subject != "webhooks.sns.Notification" || string(msg.Data) != string(body) {
		t.Errorf("stream message on %s: %s; want webhooks.sns.Notification with the body", msg.Subject, msg.Data)
	}

	// Forged: the message changed after signing.
	forged := []byte(strings.Replace(string(body), "paid", "refunded", 1))
	if code, _ := postTo(t, base, "/webhooks/sns", h, forged); code != http.StatusUnauthorized {
		t.Errorf("forged notification: %d; want 401", code)
	}

	// A certificate on another host: refused, nothing fetched.
	before, beforeConnects := f.seen()
	var m map[string]string
	json.Unmarshal(body, &m)
	m["SigningCertURL"] = "https://evil.example/SimpleNotificationService-0.pem"
	m["MessageId"] = "33c91ca3-0000-4c2c-8f9d-bdfb0c7bf324"
	elsewhere, _ := json.Marshal(m)
	if code, _ := postTo(t, base, "/webhooks/sns", h, elsewhere); code != http.StatusBadRequest {
		t.Errorf("certificate on evil.example: %d; want 400", code)
	}
	after, afterConnects := f.seen()
	if len(after) != len(before) || len(afterConnects) != len(beforeConnects) {
		t.Errorf("certificate on evil.example: requests %q, CONNECTs %q; want none more", after[len(before):], afterConnects[len(beforeConnects):])
	}

	// PayPal: the certificate from api.sandbox.paypal.com.
	event := []byte(`{"id":"WH-58D329510W468432D-8HN650336L201105X","event_version":"1.0","create_time":"2023-11-14T22:13:19Z","event_type":"PAYMENT.CAPTURE.COMPLETED","resource":{"id":"42311647XV020574X"}}`)
	r := &verify.Request{Method: "POST", Header: http.Header{}, Body: event}
	if err := verify.Sign("paypal", r, verify.Options{Secrets: []string{webhookID + "\n" + keyPEM}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Paypal-Cert-Url", strings.Replace(r.Header.Get("Paypal-Cert-Url"), "https://api.paypal.com/", "https://api.sandbox.paypal.com/", 1))
	r.Header.Set("Content-Type", "application/json")
	if code, answer := postTo(t, base, "/webhooks/paypal", r.Header, event); code != http.StatusAccepted {
		t.Fatalf("paypal event: %d %s; want 202\n%s", code, answer, g.logs)
	}
	msg = eventOnStream(t, g, "paypal:WH-58D329510W468432D-8HN650336L201105X")
	if msg.Subject != "webhooks.paypal.PAYMENT.CAPTURE.COMPLETED" || string(msg.Data) != string(event) {
		t.Errorf("paypal stream message on %s: %s", msg.Subject, msg.Data)
	}
	_, connects = f.seen()
	if !slices.Contains(connects, "api.sandbox.paypal.com:443") {
		t.Errorf("CONNECTs %q; want one to api.sandbox.paypal.com:443", connects)
	}
	forged = []byte(strings.Replace(string(event), "COMPLETED", "REFUNDED", 1))
	if code, _ := postTo(t, base, "/webhooks/paypal", r.Header, forged); code != http.StatusUnauthorized {
		t.Errorf("forged paypal event: %d; want 401", code)
	}
}
