package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinarySIGTERM builds the real binary, serves an event, and checks
// that SIGTERM drains and exits 0 within a few seconds.
func TestBinarySIGTERM(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hookgate")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`
listen: 127.0.0.1:0
data_dir: %s
nats: {port: -1}
providers:
  - name: demo
    type: standard-webhooks
    secrets: [whsec_aG9va2dhdGUtZGVtby1zZWNyZXQtZG8tbm90LXVzZSE=]
`, filepath.Join(dir, "data"))), 0o600)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "serve", "-config", cfg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	logs := make(chan string, 100)
	go func() {
		re := regexp.MustCompile(`msg="hookgate listening" addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			select {
			case logs <- sc.Text():
			default:
			}
		}
		close(logs)
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the binary did not report its listen address")
	}

	args := []string{"send", "-config", cfg, "-provider", "demo", "-url", base}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "202 Accepted") {
		t.Fatalf("send: %v\n%s", err, out)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	elapsed := time.Since(start)
	if err != nil {
		var all []string
		for l := range logs {
			all = append(all, l)
		}
		t.Fatalf("exit after SIGTERM: %v\n%s", err, strings.Join(all, "\n"))
	}
	if elapsed > 10*time.Second {
		t.Errorf("shutdown took %s; want a few seconds at most", elapsed)
	}
	if _, err := http.Get(base + "/webhooks/demo"); err == nil {
		t.Error("the port still answers after exit")
	}
}
