package bussig

import (
	"crypto/ed25519"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's verification examples in Python and Node, run against
// testdata/vector.json: the message must verify, and each alteration must
// be refused. The interpreters must be installed (.ci/run installs them
// when they are not): a missing one fails the test.

// readmeExample returns the code block after "<!-- verify-example: lang -->".
func readmeExample(t *testing.T, lang string) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)<!-- verify-example: " + lang + " -->\n```[a-z]+\n(.*?)\n```")
	m := re.FindSubmatch(b)
	if m == nil {
		t.Fatalf("README.md has no verify-example block for %s", lang)
	}
	return string(m[1])
}

// exampleCases are the checks each harness runs, in order, with the line
// it must print for each.
const exampleWant = `valid: ok
body altered: refused
header altered: refused
header added: refused
subject altered: refused
message ID altered: refused
unknown key: refused
unsigned: refused
stored an hour later: refused
stored an hour later, no age check: ok
`

const pythonHarness = `
import json, sys, copy
v = json.load(open(sys.argv[1]))
v["headers"] = dict(reversed(list(v["headers"].items())))  # not in the signed order
body = base64.b64decode(v["body_base64"])
def run(name, subject=v["subject"], headers=None, body=body, keys=[v["public_key"].encode()], stored=1764849601):
    h = copy.deepcopy(v["headers"]) if headers is None else headers
    if headers is None:
        h["Hookgate-Signature"] = [v["signature"]]
    try:
        verify(keys, subject, h, body, stored_unix=stored)
        print(name + ": ok")
    except Exception:
        print(name + ": refused")
def with_header(k, val):
    h = copy.deepcopy(v["headers"]); h["Hookgate-Signature"] = [v["signature"]]; h[k] = [val]; return h
run("valid")
run("body altered", body=body + b" ")
run("header altered", headers=with_header("Hookgate-Event-Type", "invoice.voided"))
run("header added", headers=with_header("Hookgate-Replay", "r1"))
run("subject altered", subject=v["subject"] + ".x")
run("message ID altered", headers=with_header("Nats-Msg-Id", "stripe:evt_other"))
run("unknown key", keys=[v["other_public_key"].encode()])
run("unsigned", headers=copy.deepcopy(v["headers"]))
run("stored an hour later", stored=1764849600 + 3600)
run("stored an hour later, no age check", stored=None)
`

const nodeHarness = `
const v = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8"));
v.headers = Object.fromEntries(Object.entries(v.headers).reverse()); // not in the signed order
const body = Buffer.from(v.body_base64, "base64");
const signed = () => ({ ...structuredClone(v.headers), "Hookgate-Signature": [v.signature] });
function run(name, { subject = v.subject, headers = signed(), b = body, keys = [v.public_key], stored = 1764849601 } = {}) {
  try { verify(keys, subject, headers, b, stored); console.log(name + ": ok"); }
  catch (e) { console.log(name + ": refused"); }
}
const withHeader = (k, val) => ({ ...signed(), [k]: [val] });
run("valid");
run("body altered", { b: Buffer.concat([body, Buffer.from(" ")]) });
run("header altered", { headers: withHeader("Hookgate-Event-Type", "invoice.voided") });
run("header added", { headers: withHeader("Hookgate-Replay", "r1") });
run("subject altered", { subject: v.subject + ".x" });
run("message ID altered", { headers: withHeader("Nats-Msg-Id", "stripe:evt_other") });
run("unknown key", { keys: [v.other_public_key] });
run("unsigned", { headers: structuredClone(v.headers) });
run("stored an hour later", { stored: 1764849600 + 3600 });
run("stored an hour later, no age check", { stored: null });
`

func TestREADMEExamples(t *testing.T) {
	b, err := os.ReadFile("testdata/vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	other, err := MarshalPublicKey(testKey("another gateway").Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	v["other_public_key"] = string(other)
	dir := t.TempDir()
	vec := filepath.Join(dir, "vector.json")
	b, _ = json.Marshal(v)
	if err := os.WriteFile(vec, b, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang, file, harness string
		interpreters        []string
	}{
		{"python", "verify.py", pythonHarness, []string{"python3", "/usr/bin/python3"}},
		{"node", "verify.js", nodeHarness, []string{"node", "nodejs"}},
	} {
		t.Run(c.lang, func(t *testing.T) {
			src := filepath.Join(dir, c.file)
			if err := os.WriteFile(src, []byte(readmeExample(t, c.lang)+"\n"+c.harness), 0o600); err != nil {
				t.Fatal(err)
			}
			var tried []string
			for _, interp := range c.interpreters {
				out, err := exec.Command(interp, src, vec).CombinedOutput()
				if err != nil {
					tried = append(tried, interp+": "+strings.TrimSpace(lastLine(string(out), err)))
					continue
				}
				if string(out) != exampleWant {
					t.Errorf("%s printed\n%s\nwant\n%s", interp, out, exampleWant)
				}
				return
			}
			t.Fatalf("no interpreter ran the README's %s example (.ci/run installs one):\n%s", c.lang, strings.Join(tried, "\n"))
		})
	}
}

// lastLine is the last line of a failed run's output, or its error.
func lastLine(out string, err error) string {
	out = strings.TrimSpace(out)
	if out == "" {
		return err.Error()
	}
	return out[strings.LastIndex(out, "\n")+1:]
}
