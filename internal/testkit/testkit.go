// Package testkit holds the helpers that the tests of several packages
// share: one poll with a deadline, free ports, config files, a migrated
// SQLite file, an embedded NATS server that can be stopped and started
// again, a JetStream connection, signed requests, a validated config.
// Only tests import it; the tests of package config cannot (it imports
// config).
package testkit

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the SQLite driver of MigratedDB
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/verify"
)

// WaitFor polls cond every 10 ms until it holds, and fails the test once
// within has passed; what describes the condition (it is called only then,
// to say where things stand). The tests wait for something only with it: a
// sleep is only ever the length of a fault (an outage, a held lock).
func WaitFor(tb testing.TB, within time.Duration, what func() string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not within %s: %s", within, what())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Says is a WaitFor description that does not change.
func Says(what string) func() string { return func() string { return what } }

// FreePorts returns n distinct loopback ports that were free a moment ago.
func FreePorts(tb testing.TB, n int) []int {
	tb.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close() // held until all are chosen, so that they differ
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(tb testing.TB) int { return FreePorts(tb, 1)[0] }

// WriteFile writes content to name in dir (mode 0600) and returns its path.
func WriteFile(tb testing.TB, dir, name, content string) string {
	tb.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// GatewayYAML is a gateway config listening, with its admin listener, on
// random loopback ports, keeping its data in dataDir; the sections follow,
// a line each (a nats: block, providers:, ...). Without a nats: section
// it runs an embedded NATS server on a random port (EmbeddedNATS), not on
// NATS's default port, which anything else on the machine may hold.
func GatewayYAML(dataDir string, sections ...string) string {
	body := strings.Join(sections, "\n")
	if !natsSection.MatchString(body) {
		body = EmbeddedNATS + "\n" + body
	}
	return fmt.Sprintf("\nlisten: 127.0.0.1:0\nadmin: {listen: \"127.0.0.1:0\"}\ndata_dir: %s\n%s\n", dataDir, body)
}

// natsSection finds a config's top-level nats: key.
var natsSection = regexp.MustCompile(`(?m)^nats:`)

// EmbeddedNATS is the nats section of a gateway that runs its own NATS
// server on a random port.
const EmbeddedNATS = "nats: {port: -1}"

// MigratedDB opens a SQLite file in a temp dir, as the gateway does (WAL,
// a busy timeout, immediate transactions), and applies the migrations
// (migrations/*.sql) in order.
func MigratedDB(tb testing.TB, migrations fs.FS) *sql.DB {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test.db")
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(files) == 0 {
		tb.Fatalf("migrations: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		b, err := fs.ReadFile(migrations, f)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			tb.Fatalf("apply %s: %v", f, err)
		}
	}
	return db
}

// JetStream connects to url (closed when the test ends).
func JetStream(tb testing.TB, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	tb.Helper()
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return nc, js
}

// Stream opens the stream name on url.
func Stream(tb testing.TB, url, name string) jetstream.Stream {
	tb.Helper()
	_, js := JetStream(tb, url)
	st, err := js.Stream(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// SubjectCount counts the stream's messages on subjects matching filter.
func SubjectCount(tb testing.TB, st jetstream.Stream, filter string) int {
	tb.Helper()
	info, err := st.Info(context.Background(), jetstream.WithSubjectFilter(filter))
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for _, c := range info.State.Subjects {
		n += int(c)
	}
	return n
}

// NATS is a NATS server with JetStream, started as the gateway starts its
// own (forward.StartServer), that a test can stop and start again on the
// same port and store.
type NATS struct {
	tb   testing.TB
	port int
	dir  string
	ns   *server.Server
}

// StartNATS starts a NATS server on a free port; it stops with the test.
func StartNATS(tb testing.TB) *NATS {
	tb.Helper()
	n := &NATS{tb: tb, port: FreePort(tb), dir: tb.TempDir()}
	n.Start()
	tb.Cleanup(n.Stop)
	return n
}

// Start starts the server again on its port and store; the port may
// linger briefly after a stop.
func (n *NATS) Start() {
	n.tb.Helper()
	var err error
	WaitFor(n.tb, 5*time.Second, func() string { return fmt.Sprintf("start NATS on %d: %v", n.port, err) }, func() bool {
		n.ns, err = forward.StartServer(forward.ServerConfig{Host: "127.0.0.1", Port: n.port, StoreDir: n.dir})
		return err == nil
	})
}

// Stop shuts the server down and waits until it is down.
func (n *NATS) Stop() {
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
		n.ns = nil
	}
}

// URL is the server's client URL.
func (n *NATS) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.port) }

// Sign signs body as preset with secret at time at, over the headers in
// hdr, and returns the headers to send.
func Sign(tb testing.TB, preset, secret, body string, hdr http.Header, at time.Time) http.Header {
	tb.Helper()
	vr := &verify.Request{Method: "POST", Header: http.Header{}, Body: []byte(body)}
	for k, v := range hdr {
		vr.Header[k] = v
	}
	if err := verify.Sign(preset, vr, verify.Options{Secrets: []string{secret}}, at); err != nil {
		tb.Fatal(err)
	}
	return vr.Header
}

// SignedRequest is a POST of body to url, signed now as preset with secret.
func SignedRequest(tb testing.TB, preset, secret, url, body string) *http.Request {
	tb.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header = Sign(tb, preset, secret, body, nil, time.Now())
	return req
}

// Do sends req and returns the status and body of the answer.
func Do(tb testing.TB, req *http.Request) (int, string) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Sweep runs a sweep statement (dedupe.SweepStatement and the like: ?1 the
// time in Unix nanoseconds, ?2 the limit) once and returns the rows deleted.
func Sweep(tb testing.TB, db *sql.DB, statement string, at time.Time, limit int) int {
	tb.Helper()
	res, err := db.ExecContext(context.Background(), statement, at.UnixNano(), limit)
	if err != nil {
		tb.Fatalf("sweep: %v", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		tb.Fatal(err)
	}
	return int(n)
}
