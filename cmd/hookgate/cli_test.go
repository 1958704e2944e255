package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/forward"
	"github.com/hookgate/hookgate/gateway"
	"github.com/hookgate/hookgate/internal/testkit"
	"github.com/hookgate/hookgate/store"
)

// flagsOf returns the flags a command defines.
func flagsOf(c *command) map[string]bool {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.define(fs)
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}

var (
	commandWord = regexp.MustCompile(`hookgate ([a-z-]+)`)
	flagWord    = regexp.MustCompile(`(?:^|[\s\[(|])-([a-z][a-z0-9-]*)`)
)

// checkFlagsNamed reports every "-flag" in text that follows "hookgate CMD"
// and is not a flag of CMD; where says where the text is from.
func checkFlagsNamed(t *testing.T, where, text string) {
	t.Helper()
	locs := commandWord.FindAllStringSubmatchIndex(text, -1)
	for i, loc := range locs {
		c := lookup(text[loc[2]:loc[3]])
		if c == nil {
			continue
		}
		end := len(text)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		flags := flagsOf(c)
		for _, m := range flagWord.FindAllStringSubmatch(text[loc[1]:end], -1) {
			if !flags[m[1]] {
				t.Errorf("%s names -%s for hookgate %s, which has no such flag: %q", where, m[1], c.name, strings.TrimSpace(text[loc[0]:end]))
			}
		}
	}
}

// TestUsageNamesRealFlags: the top-level usage, each command's -h and the
// README name only flags the command has, and -h lists every flag.
func TestUsageNamesRealFlags(t *testing.T) {
	var top bytes.Buffer
	if code := Run(context.Background(), []string{"help"}, &top, &top); code != 0 {
		t.Fatalf("hookgate help: exit %d", code)
	}
	_, synopses, _ := strings.Cut(top.String(), "Usage:\n")
	synopses, _, _ = strings.Cut(synopses, "\n\n")
	checkFlagsNamed(t, "the usage", synopses)
	for _, c := range commands {
		if c.hidden {
			continue
		}
		if !strings.Contains(top.String(), "hookgate "+c.name) {
			t.Errorf("the usage does not list %s", c.name)
		}
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Run(context.Background(), []string{c.name, "-h"}, &out, &errOut); code != 0 {
				t.Fatalf("hookgate %s -h: exit %d; want 0\n%s", c.name, code, errOut.String())
			}
			first, _, _ := strings.Cut(out.String(), "\n\n")
			checkFlagsNamed(t, c.name+" -h", first)
			for f := range flagsOf(c) {
				if !strings.Contains(out.String(), "\n  -"+f+" ") && !strings.Contains(out.String(), "\n  -"+f+"\n") {
					t.Errorf("hookgate %s -h does not describe -%s:\n%s", c.name, f, out.String())
				}
			}
		})
	}

	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Code blocks line by line, and inline code spans.
	inBlock := false
	for i, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "```") {
			inBlock = !inBlock
			continue
		}
		where := fmt.Sprintf("README.md:%d", i+1)
		if inBlock {
			checkFlagsNamed(t, where, line)
			continue
		}
		for _, span := range regexp.MustCompile("`[^`]+`").FindAllString(line, -1) {
			checkFlagsNamed(t, where, span)
		}
	}
}

// TestBadUsageExits2: a flag that is not the command's, a -status that is
// no event status, an unknown command (also for help), and a -provider
// the config lacks where the command acts as that provider (send, sign,
// verify, routes, bench -gateway) are bad usage: exit 2, saying what is wrong.
func TestBadUsageExits2(t *testing.T) {
	cfg := archiveFixture(t, true)
	req := testkit.WriteFile(t, t.TempDir(), "req.json", `{"method":"POST","url":"http://h/webhooks/shop","headers":{},"body":"{}"}`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{args: []string{"send", "-config", cfg, "-provider", "nosuch"}, want: `no provider named "nosuch"`},
		{args: []string{"sign", "-config", cfg, "-provider", "nosuch"}, want: `no provider named "nosuch"`},
		{args: []string{"verify", "-config", cfg, "-provider", "nosuch", "-request", req}, want: `no provider named "nosuch"`},
		{args: []string{"bench", "-gateway", "http://127.0.0.1:1", "-config", cfg, "-provider", "nosuch"}, want: `no provider named "nosuch"`},
		{args: []string{"routes", "-config", cfg, "-provider", "nosuch", "-request", req}, want: `"nosuch"`},
		{args: []string{"help", "nosuch"}, want: `unknown command "nosuch"`},
		{args: []string{"nosuch"}, want: `unknown command "nosuch"`},
		{args: []string{"events", "-config", cfg, "-status", "bogus"}, want: `status: "bogus" is not accepted, stale or parked`},
		{args: []string{"replay", "-config", cfg, "-provider", "shop", "-status", "stale"}, want: "-status"},
		{args: []string{"send", "-config", cfg, "-provider", "shop", "-nope"}, want: "Usage: hookgate send"},
		{args: []string{"sign", "-type", "stripe", "-secret", "s", "-gateway", "http://h", "-url", "http://h/x"}, want: "-gateway or -url"},
	} {
		var out bytes.Buffer
		if code := Run(context.Background(), c.args, &out, &out); code != 2 || !strings.Contains(out.String(), c.want) {
			t.Errorf("hookgate %v: exit %d, %q; want exit 2 saying %q", c.args, code, out.String(), c.want)
		}
	}
}

// TestConfigNotLoadingExits1: a config that does not load, missing or
// invalid, is a failure in every command that reads one: the process
// exits 1 naming the problem, as check-config does (sign and verify
// exited 2, as for bad usage, while send exited 1).
func TestConfigNotLoadingExits1(t *testing.T) {
	bin := mustBinary(t)
	dir := t.TempDir()
	req := testkit.WriteFile(t, dir, "req.json", `{"method":"POST","url":"http://h/webhooks/shop","headers":{},"body":"{}"}`)
	// tail and deliver read only the nats section and the deliveries
	// (config.LoadClient): the invalid config is wrong there too.
	for _, c := range []struct{ name, path, want, client string }{
		{"missing", filepath.Join(dir, "none.yaml"), "no such file", "no such file"},
		{"invalid", testkit.WriteFile(t, dir, "bad.yaml", "nats: {mode: nope}\nproviders:\n  - {name: shop, type: nope, secrets: [s]}\n"),
			`providers[0] (shop).type: unknown type "nope"`, `nats.mode: "nope" is not jetstream or core`},
	} {
		for _, args := range [][]string{
			{"serve", "-config", c.path},
			{"check-config", "-config", c.path},
			{"send", "-config", c.path, "-provider", "shop"},
			{"sign", "-config", c.path, "-provider", "shop"},
			{"verify", "-config", c.path, "-provider", "shop", "-request", req},
			{"routes", "-config", c.path, "-provider", "shop", "-request", req},
			{"asyncapi", "-config", c.path},
			{"tail", "-config", c.path, "webhooks.>"},
			{"deliver", "-config", c.path},
			{"events", "-config", c.path},
			{"replay", "-config", c.path, "-provider", "shop"},
			{"quarantine", "-config", c.path},
			{"bench", "-gateway", "http://127.0.0.1:1", "-config", c.path, "-provider", "shop"},
		} {
			t.Run(c.name+" "+args[0], func(t *testing.T) {
				var stderr bytes.Buffer
				cmd := exec.Command(bin, args...)
				cmd.Stderr = &stderr
				err := cmd.Run()
				var exit *exec.ExitError
				want := c.want
				if args[0] == "tail" || args[0] == "deliver" {
					want = c.client
				}
				if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), want) {
					t.Errorf("hookgate %s: %v, stderr %q; want exit 1 saying %q", strings.Join(args, " "), err, stderr.String(), want)
				}
			})
		}
	}
}

// archiveFixture writes a gateway database with archived events of
// provider shop (a1 accepted; s1 and s2 stale, received an hour later) and
// a config for it; archive says whether the config keeps the archive on.
func archiveFixture(tb testing.TB, archive bool) string {
	tb.Helper()
	dir := tb.TempDir()
	dataDir := filepath.Join(dir, "data")
	db, err := gateway.OpenDB(context.Background(), dataDir, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		id, status string
		at         time.Time
	}{
		{id: "a1", status: "accepted", at: t0},
		{id: "s1", status: "stale", at: t0.Add(time.Hour)},
		{id: "s2", status: "stale", at: t0.Add(time.Hour)},
	} {
		rec := forward.Record{Provider: "shop", EventID: r.id, EventType: "t", Status: r.status, ReceivedAt: r.at,
			Message: forward.Message{ID: "shop:" + r.id, Subject: "webhooks.shop.t", Body: []byte("{}")}}
		if err := forward.Archive(context.Background(), db.Write, rec); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(dir, "c.yaml")
	os.WriteFile(path, []byte(fmt.Sprintf("data_dir: %s\narchive: {enabled: %t}\nproviders: [{name: shop, type: stripe, secrets: [whsec_x]}, {name: other, type: github, secrets: [s]}]\n", dataDir, archive)), 0o600)
	return path
}

// TestNothingFoundExits1: a lookup or a listing that finds nothing exits 1
// and says why (a -provider of events and quarantine filters what is kept,
// which may be a provider no longer configured: nothing found, not bad
// usage); a replay that matches nothing says what the query did match.
func TestNothingFoundExits1(t *testing.T) {
	on, off := archiveFixture(t, true), archiveFixture(t, false)
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{name: "events unknown id", args: []string{"events", "-config", on, "-id", "nope"}, code: 1, want: []string{`no archived event with ID "nope"`}},
		{name: "events unknown id, archive off", args: []string{"events", "-config", off, "-id", "nope"}, code: 1, want: []string{`no archived event with ID "nope"`, "archive.enabled is false"}},
		{name: "events known id", args: []string{"events", "-config", on, "-id", "a1"}, code: 0, want: []string{"status:      accepted"}},
		{name: "quarantine unknown id", args: []string{"quarantine", "-config", on, "-id", "42"}, code: 1, want: []string{"no quarantined request 42"}},
		{name: "events listing", args: []string{"events", "-config", on}, code: 0, want: []string{"a1", "s2"}},
		{name: "events listing nothing", args: []string{"events", "-config", on, "-provider", "other"}, code: 1, want: []string{"no archived event matches"}},
		{name: "events of a provider not configured", args: []string{"events", "-config", on, "-provider", "nobody"}, code: 1, want: []string{"no archived event matches", "provider nobody is not in this config"}},
		{name: "events listing nothing, archive off", args: []string{"events", "-config", off, "-since", "2027-01-01T00:00:00Z"}, code: 1, want: []string{"no archived event matches", "archive.enabled is false"}},
		{name: "quarantine listing nothing", args: []string{"quarantine", "-config", on}, code: 1, want: []string{"no quarantined request"}},
		{name: "quarantine of a provider, off", args: []string{"quarantine", "-config", off, "-provider", "shop"}, code: 1, want: []string{"no quarantined request of provider shop", "quarantine.enabled is false"}},
		{name: "replay of stale events", args: []string{"replay", "-config", on, "-provider", "shop", "-since", "2026-01-01T00:30:00Z"}, code: 1, want: []string{"2 archived events match, all stale: only accepted events are replayed"}},
		{name: "replay of one stale event", args: []string{"replay", "-config", on, "-id", "s1"}, code: 1, want: []string{"1 archived event matches, stale: only accepted events are replayed"}},
		{name: "replay of a provider with nothing archived", args: []string{"replay", "-config", on, "-provider", "other"}, code: 1, want: []string{"nothing is archived for provider other"}},
		{name: "replay of a time with nothing archived", args: []string{"replay", "-config", on, "-provider", "shop", "-since", "2026-02-01T00:00:00Z"}, code: 1, want: []string{"no archived event of provider shop matches", "3 are archived"}},
		{name: "replay with the archive off", args: []string{"replay", "-config", off, "-provider", "other"}, code: 1, want: []string{"nothing is archived for provider other", "archive.enabled is false"}},
		{name: "replay of an accepted event", args: []string{"replay", "-config", on, "-id", "a1"}, code: 0, want: []string{"1 events queued"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			code := Run(context.Background(), c.args, &out, &out)
			if code != c.code {
				t.Errorf("hookgate %v: exit %d; want %d\n%s", c.args, code, c.code, out.String())
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("hookgate %v said %q; want it to say %q", c.args, out.String(), w)
				}
			}
		})
	}
}

// readmeSection is the part of README.md between the markers <!--
// name:begin --> (and its line break) and <!-- name:end -->.
func readmeSection(t *testing.T, name string) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(string(readme), begin), strings.Index(string(readme), end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", begin, end)
	}
	return string(readme[i+len(begin) : j])
}

// TestReadmeUsage keeps README.md's command list identical to the usage
// that `hookgate help` prints.
func TestReadmeUsage(t *testing.T) {
	_, synopses, _ := strings.Cut(usage(), "Usage:\n")
	synopses, _, _ = strings.Cut(synopses, "\n\n")
	if got, want := readmeSection(t, "usage"), "```\n"+synopses+"\n```\n"; got != want {
		t.Errorf("README.md's command list is out of date; replace it with the Usage block of `hookgate help`:\n%s", want)
	}
}
