package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
)

// TestOpenLocksDataDir: a second gateway on a data directory in use is
// refused at once, naming the directory and the process that holds it,
// and starts nothing; once the first closes, the directory is free again.
func TestOpenLocksDataDir(t *testing.T) {
	dir := t.TempDir()
	cfgFor := func() *config.Config {
		return mustValid(t, testkit.GatewayYAML(dir, `nats: {port: -1}
providers: [{name: a, type: github, secrets: [s]}]`))
	}
	first := mustOpen(t, cfgFor())

	second, err := Open(context.Background(), cfgFor(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		second.Close(context.Background())
		t.Fatal("a second Open on the same data_dir succeeded")
	}
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("second Open = %v; want store.ErrLocked", err)
	}
	for _, want := range []string{dir, "pid " + strconv.Itoa(os.Getpid())} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("second Open = %q; want it to name %q", err, want)
		}
	}
	// The refused gateway stopped nothing of the first one.
	resp, err := http.Get("http://" + first.Addr().String() + "/nope")
	if err != nil {
		t.Fatalf("the first gateway after the refused Open: %v; want it still serving", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the first gateway after the refused Open answered %d; want 404", resp.StatusCode)
	}
	if b, err := os.ReadFile(filepath.Join(dir, store.LockFile)); err != nil || !strings.Contains(string(b), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("lock file = %q, %v; want the first gateway's pid in it", b, err)
	}

	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	third, err := Open(context.Background(), cfgFor(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("Open after the first gateway closed = %v; want the data_dir free again", err)
	}
	third.Close(context.Background())
}
