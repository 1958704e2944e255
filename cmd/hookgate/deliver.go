package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hookgate/hookgate/config"
	"github.com/hookgate/hookgate/deliver"
)

func defineDeliver(fs *flag.FlagSet) runFunc {
	path := fs.String("config", "", "config `FILE`: the NATS address, credentials and stream, and its deliveries: section")
	to := fs.String("to", "", "POST the events of -subject to this `URL` (instead of the config's deliveries)")
	var subjects, headers stringsFlag
	fs.Var(&subjects, "subject", "with -to: the stream's `SUBJECT` to deliver, wildcards allowed (repeatable; default: the whole stream)")
	fs.Var(&headers, "header", "with -to: add the header `NAME=VALUE` to each request (repeatable)")
	name := fs.String("name", "", "with -to: the delivery's `NAME` (its consumer is deliver-NAME; default: from the subjects and the URL)")
	concurrency := fs.Int("concurrency", 0, "with -to: `N` requests at once (never two of one ordering key; default 1)")
	maxDeliver := fs.Int("max-deliver", 0, "with -to: `N` requests for an event before it is dead-lettered (default 5)")
	timeout := fs.Duration("timeout", 0, "with -to: bound one request to `DURATION` (default 10s)")
	var keys stringsFlag
	fs.Var(&keys, "verify-key", "with -to: deliver only messages signed with the public key `FILE` (repeatable)")
	metrics := fs.String("metrics", "", "serve the delivery metrics on `ADDR` (/metrics)")
	return func(ctx context.Context, _, stderr io.Writer) error {
		if *path == "" {
			return fmt.Errorf("%w: deliver needs -config FILE (for NATS and the stream)", errUsage)
		}
		if *to == "" && (len(subjects)+len(headers)+len(keys) > 0 || *name != "" || *concurrency+*maxDeliver > 0 || *timeout > 0) {
			return fmt.Errorf("%w: -subject, -header, -name, -concurrency, -max-deliver, -timeout and -verify-key go with -to", errUsage)
		}
		cfg, err := config.LoadClient(*path) // not the providers' secrets: deliver runs where they are not
		if err != nil {
			return err
		}
		if *to != "" {
			d := config.Delivery{Name: *name, Subjects: subjects, URL: *to, Timeout: config.Duration(*timeout),
				Concurrency: *concurrency, MaxDeliver: *maxDeliver, VerifyKeys: keys, Headers: map[string]string{}}
			if d.Name == "" {
				d.Name = adHocName(subjects, *to)
			}
			for _, h := range headers {
				k, v, ok := strings.Cut(h, "=")
				if !ok {
					return fmt.Errorf("%w: -header %q is not NAME=VALUE", errUsage, h)
				}
				d.Headers[k] = v
			}
			// The same checks as the config's deliveries.
			cfg.Deliveries = []config.Delivery{d}
			if err := cfg.ValidateClient(); err != nil {
				return err
			}
		}
		if len(cfg.Deliveries) == 0 {
			return fmt.Errorf("%w: %s has no deliveries: give -to URL, or add a deliveries: section", errUsage, *path)
		}
		return runDeliveries(ctx, cfg, *metrics, slog.New(slog.NewTextHandler(stderr, nil)))
	}
}

// adHocName names a delivery of -to from what it delivers where, so that
// running the same command again binds the same consumer.
func adHocName(subjects []string, to string) string {
	sum := sha256.Sum256([]byte(strings.Join(subjects, " ") + "\n" + to))
	return "to-" + hex.EncodeToString(sum[:6])
}

// runDeliveries connects to the config's NATS server as tail does and runs
// the config's deliveries until ctx ends.
func runDeliveries(ctx context.Context, cfg *config.Config, metricsAddr string, log *slog.Logger) error {
	auth, err := cfg.ClientAuth("", "")
	if err != nil {
		return err
	}
	opts, err := auth.Options()
	if err != nil {
		return err
	}
	nc, err := nats.Connect(cfg.NATSClientURL(), append(opts, nats.Name("hookgate-deliver"), nats.Timeout(5*time.Second))...)
	if err != nil {
		return fmt.Errorf("deliver: connect %s: %w", config.RedactURL(cfg.NATSClientURL()), err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	reg := prometheus.NewRegistry()
	m := deliver.NewMetrics(reg)
	if metricsAddr != "" {
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return fmt.Errorf("deliver: -metrics: %w", err)
		}
		srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
	}
	var targets []deliver.Target
	for i := range cfg.Deliveries {
		t, err := cfg.Deliveries[i].Target(cfg.NATS.Stream, nil)
		if err != nil {
			return err
		}
		targets = append(targets, t)
		log.Info("delivering", "delivery", t.Name, "consumer", t.Durable(), "subjects", t.Subjects, "url", deliver.RedactURL(t.URL), "verify", t.Verify != nil)
	}
	err = deliver.Run(ctx, js, targets, m, log, 30*time.Second)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("requests still in flight after 30s were cut; their events are delivered again")
		return nil
	}
	return err
}
