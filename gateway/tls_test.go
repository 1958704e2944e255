package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/testkit"
)

// mustCert writes a self-signed certificate for 127.0.0.1 and its key.
func mustCert(tb testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "hookgate test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := mustCert(t)
	s := mustServer(t, fmt.Sprintf("http: {tls: {cert_file: %s, key_file: %s}}", certFile, keyFile), providerYAML("shop", "stripe", "whsec_new"))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req := stripeRequest(t, stripeBody("e1", "t", "o", 1), "whsec_new", time.Now())
	req.RequestURI = ""
	req.URL.Scheme, req.URL.Host, req.URL.Path = "https", s.Addr().String(), "/webhooks/shop"
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 || resp.TLS == nil {
		t.Fatalf("HTTPS request: %d, TLS %v; want 202 over TLS", resp.StatusCode, resp.TLS != nil)
	}
	// Go's TLS server answers plain HTTP with a 400 of its own.
	if resp, err := http.Post("http://"+s.Addr().String()+"/webhooks/shop", "application/json", nil); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS listener: %d; want 400", resp.StatusCode)
		}
	}
}

// TestTLSCertificateGoneAtStart: a certificate that no longer loads when
// the listener opens (rewritten since the config was validated) makes
// Open return the error, naming http.tls, rather than hang.
func TestTLSCertificateGoneAtStart(t *testing.T) {
	certFile, keyFile, _ := mustCert(t)
	c := mustValid(t, testkit.GatewayYAML(t.TempDir(), fmt.Sprintf("http: {tls: {cert_file: %s, key_file: %s}}", certFile, keyFile),
		testkit.EmbeddedNATS, "providers:"+providerYAML("shop", "stripe", "whsec_new")))
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := Open(context.Background(), c, Options{Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			s.Close(context.Background())
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "http.tls") {
			t.Errorf("Open with a key that no longer loads = %v; want an error naming http.tls", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Open hangs")
	}
}
