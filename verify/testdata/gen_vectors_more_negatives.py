#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_negatives.json (python3
gen_vectors_more_negatives.py > vectors_more_negatives.json): for every
preset, the three negatives the catalogue promises, derived from the
preset's first valid vector in the other vector files without computing
any signature:

- tampered: one letter or digit of the body changed (presets that sign the
  body; the signature is the original's);
- wrong secret: one letter or digit of each configured secret changed, in
  its class, so that it still parses (presets configured with a shared
  secret, not a public key or certificate);
- too old: the clock moved a day past the preset's replay window (presets
  that sign a timestamp).

Each names the vector it comes from; the catalogue's flags (body signed,
tolerance) come from `hookgate providers -json` as saved in
providers_for_negatives.json next to this file."""
import copy, glob, json, os, re

HERE = os.path.dirname(os.path.abspath(__file__))
GENERIC = {"ed25519", "hmac", "hmac-template", "jwt", "token"}
# Configured with a public key (or a name of one): another key is not one
# character away.
PUBLIC_KEYS = {"wise", "discord-ed25519", "sendgrid-ecdsa", "telnyx", "standard-webhooks-v1a"}

presets = {p["name"]: p for p in json.load(open(os.path.join(HERE, "providers_for_negatives.json")))}
alias = {a: p["name"] for p in presets.values() for a in p.get("aliases") or []}
alias["zoom-url-validation"] = "zoom"

def duration_s(d):
    """Seconds of a Go duration string such as 5m0s, 1h0m0s, 32h0m0s, 30s."""
    total = 0
    for n, u in re.findall(r"(\d+)([hms])", d or ""):
        total += int(n) * {"h": 3600, "m": 60, "s": 1}[u]
    return total

def bump(c):
    """The next character of c's class, so that hex stays hex and base64
    stays base64."""
    if c.isdigit():
        return str((int(c) + 1) % 10)
    for lo, hi in (("a", "f"), ("A", "F"), ("g", "z"), ("G", "Z")):
        if lo <= c <= hi:
            return lo if c == hi else chr(ord(c) + 1)
    return c

def first_alnum(s, start=0):
    for i in range(start, len(s)):
        if s[i].isascii() and s[i].isalnum():
            return i
    return -1

def middle_alnum(s):
    """The letter or digit nearest the middle of s: inside a value or a
    signed token, not in the last character of a base64 run, whose spare
    bits a decoder may ignore."""
    mid = len(s) // 2
    for d in range(len(s)):
        for i in (mid - d, mid + d):
            if 0 <= i < len(s) and s[i].isascii() and s[i].isalnum():
                return i
    return -1

def other_secret(s):
    """s with its first letter or digit after any prefix (whsec_, ...)
    changed; an ARN (SNS topic) in its last, the topic's name."""
    if s.startswith("arn:"):
        i = max(j for j in range(len(s)) if s[j].isascii() and s[j].isalnum())
        return s[:i] + bump(s[i]) + s[i + 1:]
    start = s.index("_") + 1 if re.match(r"^[a-z]+_", s) else 0
    i = first_alnum(s, start)
    return None if i < 0 else s[:i] + bump(s[i]) + s[i + 1:]

valid = {}
for path in sorted(glob.glob(os.path.join(HERE, "vectors*.json"))):
    if path.endswith("vectors_more_negatives.json"):
        continue
    for v in json.load(open(path)):
        name = alias.get(v["scheme"], v["scheme"])
        if name not in presets or name in GENERIC or name in valid:
            continue
        if v["expect"] != "valid" or v.get("expected_response") is not None or not v.get("body") or v.get("method", "POST") != "POST":
            continue
        valid[name] = v

out = []
for name in sorted(valid):
    v, p = valid[name], presets[name]
    def derive(kind, reason, expect_error=None, **change):
        d = copy.deepcopy(v)
        d.update(change)
        d["id"] = name + "-derived-" + kind
        d["provider"] = v.get("provider", name)
        d["expect"] = "invalid"
        d["reason"] = reason
        d["provenance"] = "derived from vector " + v["id"] + " (" + kind + ")"
        d["official"] = False
        d["source"] = v.get("source", "")
        d.pop("expected_response", None)
        if expect_error:
            d["expect_error"] = expect_error
        out.append(d)
    if not p.get("body_unsigned"):
        i = middle_alnum(v["body"])
        if i >= 0:
            derive("tampered", "one character of the body changed after signing", body=v["body"][:i] + bump(v["body"][i]) + v["body"][i + 1:])
    secret = v.get("secret")
    # Certificates (SNS, PayPal) are fetched by URL: the secret is then a
    # topic ARN or a webhook ID, which a change makes another.
    keyed = any(v.get(k) for k in ("public_key", "jwks", "trust_anchor_der_b64"))
    if not keyed and not p.get("no_secret") and name not in PUBLIC_KEYS:
        if isinstance(secret, str) and "BEGIN" not in secret and other_secret(secret):
            derive("wrong-secret", "the configured secret differs in one character", "mismatch", secret=other_secret(secret))
        elif isinstance(secret, list) and secret and all(isinstance(s, str) and "BEGIN" not in s and other_secret(s) for s in secret):
            derive("wrong-secret", "every configured secret differs in one character", "mismatch", secret=[other_secret(s) for s in secret])
    tol = v.get("tolerance_s") or duration_s(p.get("tolerance"))
    if p.get("tolerance") and v.get("now"):
        derive("too-old", "verified a day after the replay window closed", "too_old", now=v["now"] + tol + 86400)

print(json.dumps(out, indent=1, ensure_ascii=False))
