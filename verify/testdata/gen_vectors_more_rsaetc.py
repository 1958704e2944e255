#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_rsaetc.json (python3 gen_vectors_more_rsaetc.py >
vectors_more_rsaetc.json) independently of the Go code: every signature here is
computed with Python's hmac, hashlib and cryptography from the algorithm each
provider documents, or copied from the provider's docs, SDK or SDK tests where
marked official."""
import base64, hashlib, hmac, json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from vecgen import RECOMP, V, add, b64, hx, raw  # noqa: F401 (the shared helpers)

NOW = 1700000000

# ---- Wise
src = "https://docs.wise.com/guides/developer/webhooks/event-handling (X-Signature-SHA256: base64 RSA signature with SHA-256 of the body; the published production and sandbox public keys; X-Delivery-Id, X-Test-Notification); https://github.com/transferwise/digital-signatures-examples verify-webhook-signature/verify-signature.js, .java, .rb (SHA256withRSA, PKCS#1 v1.5)"
OFFICIAL = "official: copied from transferwise/digital-signatures-examples verify-webhook-signature (signed sample with the sandbox key)"
wbody = '{"data":{"resource":{"id":49983981,"profile_id":16055450,"account_id":14124090,"type":"transfer"},"current_state":"incoming_payment_waiting","previous_state":null,"occurred_at":"2021-08-23T10:12:50Z"},"subscription_id":"90aa8e14-4ef1-4a56-861c-f3c9cde097ea","event_type":"transfers#state-change","schema_version":"2.0.0","sent_at":"2021-08-23T10:12:50Z"}'
wsig = "wKcKCYXAzxNgiu7xmoDm943NUni7Rz33QN8JkEA9dWSGebgndonabgSj18Y4C08OrwVmueGsED2s00M7DtJVcYKOS1i3G4TMVx+mgM3aL9djMBkQtiYNBFUd6wrPI7ZUNHv/TrlKSjTMc+6JFvUvJ7owY3z85e3I4jLRLJowMFvO8kvCJ60+1pY9wDwZvtZ//WS93LrwGjk9Dvwzpmu0w+P4J75tETT5qC3Uv0y5G2yO8SEoO3yNP/tg/BOli02niHb53vEOUWUb9bly6thnfMoXoiV/osoGxgF20R58RlvkAmezyyl1Sv542TfS2DpiwVnmjjjkCyXeSUcKookYLQ=="
sandbox_pem = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----"""
# The published sample verifies with the published sandbox key (checked here,
# independently of the Go code).
serialization.load_pem_public_key(sandbox_pem.encode()).verify(base64.b64decode(wsig), wbody.encode(), padding.PKCS1v15(), hashes.SHA256())
hdr = {"X-Delivery-Id": "3f1c4a7e-2b9d-4c55-9e0a-6d8f1b2c3d4e"}
add("wise-official-sandbox-named", "Wise", "wise", "wise:sandbox", dict(hdr, **{"X-Signature-SHA256": wsig}), wbody, NOW, "valid", "Wise's signed sample, checked with the sandbox key by its name", src, provenance=OFFICIAL)
add("wise-official-sandbox-pem", "Wise", "wise", sandbox_pem, dict(hdr, **{"X-Signature-SHA256": wsig}), wbody, NOW, "valid", "Wise's signed sample, checked with the sandbox key's PEM", src, provenance=OFFICIAL)
add("wise-official-tampered", "Wise", "wise", "wise:sandbox", dict(hdr, **{"X-Signature-SHA256": wsig}), wbody.replace("49983981", "49983982"), NOW, "invalid", "Wise's sample with the transfer ID changed after signing", src, provenance=OFFICIAL)
add("wise-official-production-key", "Wise", "wise", "wise:production", dict(hdr, **{"X-Signature-SHA256": wsig}), wbody, NOW, "invalid", "a sandbox signature checked with the production key", src, provenance=OFFICIAL)
add("wise-official-rotation", "Wise", "wise", ["wise:production", "wise:sandbox"], dict(hdr, **{"X-Signature-SHA256": wsig}), wbody, NOW, "valid", "both published keys configured; the second matches", src, provenance=OFFICIAL)

# A test key pair made for these vectors (not Wise's): RSA 2048, PKCS#8.
test_priv = serialization.load_pem_private_key(b"""-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDR4mnoaHZM7PGU
GreCPEMWGyJwU9B22gWt0B/R0xLJNXvEBd1TPX776Fssw3oGJQCzN0Lv2vKuv494
Hkzx8SCXgDFEN+TPjtFtzO6COeD65TaZTvwOtYNcpgKszjjVldhrMkvLmSNunyyi
6NE/mCH+ONWaqmpZW0eBBBIa7H4nLO+IlN97kwY5AWeI7t+A4XaQHU6+E57ICu1v
VIlDBFnA2Xl0YqiROoUTIBbec0fsC60u2ExGrNFyIP/aGCKZyxaH5MhMC3VAan7r
HX3p0PyusS2QEG1N2XDr+JWLUoenND513q0KzUyCUmH/MsC2yH3tDERKyYFKx0rp
HVFSAV75AgMBAAECggEAJh1taUDLNwYSivhdGgASmMmds/NsmKDYRivVE3g24aZe
TwdXnZ292UZlhFgNaV8/5Mvk0oUa7EQqbEBobcmBxzGHAOH7ofvIKZ39NFYJdta4
VxgCazNoYyNcugALTzJSpojwPc2WIykx5HXORjO8/JtaoydOf+K1NgdEuHH5KOjK
Uu3Asocf1yk6EmlckX0lIwrQlW6pR/pqPVxhzqvLoWOVvjhulqTxNwFj48eyhBDq
J03xvJCu1MzSXUuK38VBsn4pzyhxVXLAO8c71xUXcAsb+mVPfL2vjtHhE+kYmS80
rxTysichPr8ImPWwRk6dFnabOxIDexxmQXxiXDX2nwKBgQD148RhxmFJ84qPSYrg
qHtqikt9teAs5ihRVxAWU/NhuhGqNCbY64CIGYZy8kSb++33gijb17rM7r/l/miG
Ja6nW8pnfy9vLsLfPJIgilE7cVDidFvSSwH1GhI1IqxzWAQ3JVANiYCp+2LW2+hk
AG6zfRQn3jHkD+S7cT7ZQ99VJwKBgQDag6e/o+z4nHhmMD0CXYpPWDxc8tYb3H4k
ojftNKjKOltKENq1dRpNQETGeX1b9WBwe7dHVqmV1Zu7wrcKB2s0Rde2ZFZkx4Tk
Yj/fi0tufQBb2oN3+ytzraV2QbDKg3t89PRTnbI3sKtvj/PKYW6dVxl9fpn9a2n1
Epux3yt+3wKBgDEE1ByN2M1OUNwZ1CbPT7NAmKYaAPPSek0k5x8cY1OjLWxZ8zih
UkFPnV8C7yyNf7Ys64pQKnw6SGVIX3wGvRe+E86oK0Ol9dFdGOCF0oXgJDjQ65Ez
xNMg/Go9XFWuQUDhHmFkfRLl+6FLu7tb3rXHhKIiCJ4nkPjRLa9QeZBXAoGAFhDZ
bbbGBUz3s4oHfyenAeAtKE21ZVbcviJLd36r1NATy+Tr0QskPszQpSI7kH+032b+
2QtdUK4jbdB5319kagDriZWUS9UCDHYHcTGFyoCA+sWUJReOCb5tSQXVLn4ciD/M
NG1mQ81pYnis67DvFKBpCI0yS67/Iipg4pNgtw0CgYEA3I98ji0p4936uTRhgebi
R0gSUTaczMZ3EmDAfXRXowker1jEts1YHcTvqkwlaO6Rvs+dTN9Uac9moO+V70/g
ctRKO0KDFMYB4slZXRq2BmPYJ0P7gwUQA3lI1R9FqxrsEC3gbc+3poVNEtoq3yHR
jFBdqjKQSkgq20uRYD4Z7Wc=
-----END PRIVATE KEY-----
""", password=None)
test_pub = test_priv.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode().strip()

def rsa_b64(body, alg=hashes.SHA256()):
    return base64.b64encode(test_priv.sign(body.encode(), padding.PKCS1v15(), alg)).decode()

body = '{"data":{"resource":{"id":111,"profile_id":222,"type":"balance-account"},"amount":10.5,"currency":"EUR","transaction_type":"credit","occurred_at":"2023-11-14T22:13:20Z"},"subscription_id":"01234567-89ab-cdef-0123-456789abcdef","event_type":"balances#credit","schema_version":"2.0.0","sent_at":"2023-11-14T22:13:20Z"}'
add("wise-valid", "Wise", "wise", test_pub, dict(hdr, **{"X-Signature-SHA256": rsa_b64(body)}), body, NOW, "valid", "RSA PKCS#1 v1.5 SHA-256 of the body with a test key", src)
add("wise-test-notification", "Wise", "wise", test_pub, dict(hdr, **{"X-Signature-SHA256": rsa_b64(body), "X-Test-Notification": "true"}), body, NOW, "valid", "a test notification is signed like any other and accepted as an event", src)
add("wise-tampered", "Wise", "wise", test_pub, dict(hdr, **{"X-Signature-SHA256": rsa_b64(body)}), body.replace("10.5", "1000.5"), NOW, "invalid", "amount changed after signing", src)
add("wise-wrong-key", "Wise", "wise", "wise:production", dict(hdr, **{"X-Signature-SHA256": rsa_b64(body)}), body, NOW, "invalid", "signed with a key that is not Wise's", src)
add("wise-sha1", "Wise", "wise", test_pub, dict(hdr, **{"X-Signature-SHA256": rsa_b64(body, hashes.SHA1())}), body, NOW, "invalid", "SHA-1 where Wise signs with SHA-256", src)
add("wise-hex", "Wise", "wise", test_pub, dict(hdr, **{"X-Signature-SHA256": base64.b64decode(rsa_b64(body)).hex()}), body, NOW, "invalid", "hex where Wise sends base64", src)

# ---- Jira admin webhooks
src = "https://confluence.atlassian.com/adminjiraserver/managing-webhooks-938846912.html (Securing your webhook: secret token, HMAC-SHA256 of the body, header X-Hub-Signature: sha256=<hex>); https://developer.atlassian.com/cloud/jira/platform/webhooks/#secure-admin-webhooks (Jira Cloud admin webhooks with a secret, WebSub signature; X-Atlassian-Webhook-Identifier)"
sec = "jira-admin-webhook-secret-9f2c"
body = '{"timestamp":1700000000000,"webhookEvent":"jira:issue_updated","issue_event_type_name":"issue_generic","user":{"accountId":"5b10a2844c20165700ede21g"},"issue":{"id":"10001","key":"TEST-1","fields":{"summary":"A bug"}}}'
hdr = {"X-Atlassian-Webhook-Identifier": "1711534623-17", "X-Atlassian-Webhook-Flow": "Primary"}
add("jira-valid", "Jira", "jira", sec, dict(hdr, **{"X-Hub-Signature": "sha256=" + hx(sec, body)}), body, NOW, "valid", "sha256=<hex HMAC-SHA256 of the raw body>", src)
add("jira-tampered", "Jira", "jira", sec, dict(hdr, **{"X-Hub-Signature": "sha256=" + hx(sec, body)}), body.replace("A bug", "Not a bug"), NOW, "invalid", "body changed after signing", src)
add("jira-wrong-secret", "Jira", "jira", sec, dict(hdr, **{"X-Hub-Signature": "sha256=" + hx("another secret", body)}), body, NOW, "invalid", "signed with another secret", src)
add("jira-no-prefix", "Jira", "jira", sec, dict(hdr, **{"X-Hub-Signature": hx(sec, body)}), body, NOW, "invalid", "the bare hex, without the sha256= method", src)
add("jira-sha1", "Jira", "jira", sec, dict(hdr, **{"X-Hub-Signature": "sha1=" + hx(sec, body, hashlib.sha1)}), body, NOW, "invalid", "WebSub's sha1 method: Jira signs with sha256", src)
add("jira-unsigned", "Jira", "jira", sec, hdr, body, NOW, "invalid", "no X-Hub-Signature: a webhook without a secret, or one registered by an app", src)

# ---- Braintree
src = "https://github.com/braintree/braintree_python braintree/webhook_notification_gateway.py (parse: bt_signature pairs 'public_key|hex' joined by '&', payload of [A-Za-z0-9+=/\\n], HMAC-SHA1 keyed with SHA-1 of the private key (braintree/util/crypto.py sha1_hmac_hash) over the payload or the payload plus a newline; verify: challenge ^[a-f0-9]{20,32}$ answered 'public_key|hex'), braintree/webhook_testing_gateway.py (sample_notification); https://developer.paypal.com/braintree/docs/guides/webhooks/parse (POST, x-www-form-urlencoded bt_signature and bt_payload); Braintree's 'Creating webhooks' guide (GET with query param bt_challenge)"
SDK = "sdk-derived: built as braintree_python WebhookTestingGateway.sample_notification builds a notification (its XML template, encodebytes, sha1_hmac_hash), with the SDK tests' key pair"
from urllib.parse import quote_plus

def bt_mac(private, msg):
    return hmac.new(hashlib.sha1(private.encode()).digest(), msg.encode(), hashlib.sha1).hexdigest()

def bt_form(sig, payload):
    return "bt_signature=" + quote_plus(sig) + "&bt_payload=" + quote_plus(payload)

pub, priv = "integration_public_key", "integration_private_key"
sec = pub + ":" + priv
xml = """
            <notification>
                <timestamp type="datetime">2023-11-14T22:13:20Z</timestamp>
                <kind>subscription_went_past_due</kind>
                
                <subject>
            <subscription>
                <id>my_id</id>
                <transactions type="array"></transactions>
                <add_ons type="array"></add_ons>
                <discounts type="array"></discounts>
            </subscription>
        </subject>
            </notification>
        """
payload = base64.encodebytes(xml.encode()).decode()
good = pub + "|" + bt_mac(priv, payload)
ct = {"Content-Type": "application/x-www-form-urlencoded"}
add("braintree-sdk-sample", "Braintree", "braintree", sec, ct, bt_form(good, payload), NOW, "valid", "a sample notification as the SDK builds it; its kind is the event type", src, provenance=SDK, official=False)
add("braintree-sdk-newline-dropped", "Braintree", "braintree", sec, ct, bt_form(good, payload.rstrip()), NOW, "valid", "the payload without its last newline (test_parse_retries_payload_with_a_newline)", src, provenance=SDK, official=False)
add("braintree-sdk-tampered", "Braintree", "braintree", sec, ct, bt_form(good, "YmFkc3R1ZmY" + payload), NOW, "invalid", "characters put before the payload after signing (test_invalid_signature_when_payload_modified)", src, provenance=SDK, official=False)
add("braintree-sdk-wrong-public-key", "Braintree", "braintree", "wrong_public_key:wrong_private_key", ct, bt_form(good, payload), NOW, "invalid", "no pair for the configured public key (test_parse_raises_when_public_key_is_wrong)", src, provenance=SDK, official=False)
add("braintree-sdk-bad-signature", "Braintree", "braintree", sec, ct, bt_form("bad_stuff", payload), NOW, "invalid", "a signature without a public key pair (test_completely_invalid_signature)", src, provenance=SDK, official=False)
add("braintree-sdk-illegal-characters", "Braintree", "braintree", sec, ct, bt_form(good, "~* invalid! *~"), NOW, "invalid", "a payload that is not base64 (test_invalid_signature_when_bontains_invalid_characters)", src, provenance=SDK, official=False)
add("braintree-wrong-private-key", "Braintree", "braintree", sec, ct, bt_form(pub + "|" + bt_mac("another_private_key", payload), payload), NOW, "invalid", "the right public key, signed with another private key", src)
add("braintree-raw-key", "Braintree", "braintree", sec, ct, bt_form(pub + "|" + hmac.new(priv.encode(), payload.encode(), hashlib.sha1).hexdigest(), payload), NOW, "invalid", "keyed with the private key itself, not its SHA-1 digest", src)
add("braintree-two-pairs", "Braintree", "braintree", sec, ct, bt_form("other_public_key|" + bt_mac("other_private_key", payload) + "&" + good, payload), NOW, "valid", "pairs of two key pairs joined by '&'; the configured one matches", src)
add("braintree-rotation", "Braintree", "braintree", ["old_public_key:old_private_key", sec], ct, bt_form(good, payload), NOW, "valid", "two key pairs configured; the second signed", src)
chal = "0123456789abcdef0123"
add("braintree-challenge-as-payload", "Braintree", "braintree", sec, ct, bt_form(pub + "|" + bt_mac(priv, chal), chal), NOW, "invalid", "a payload the GET check would sign for anyone (its answer replayed as a signature) is refused", src)
CHAL = "official: copied from braintree_python tests/unit/test_webhooks.py test_verify_returns_a_correct_challenge_response"
add("braintree-official-challenge", "Braintree", "braintree", sec, {}, "", NOW, "valid", "the GET destination check, answered 'public_key|hex HMAC-SHA1'", src, method="GET", url="https://example.com/webhooks/braintree?bt_challenge=20f9f8ed05f77439fe955c977e4c8a53", provenance=CHAL, expected_response="integration_public_key|d9b899556c966b3f06945ec21311865d35df3ce4")
add("braintree-official-bad-challenge", "Braintree", "braintree", sec, {}, "", NOW, "invalid", "a challenge with non-hex characters (test_verify_raises_when_challenge_is_invalid)", src, method="GET", url="https://example.com/webhooks/braintree?bt_challenge=bad%20challenge", provenance=CHAL)
add("braintree-challenge-too-long", "Braintree", "braintree", sec, {}, "", NOW, "invalid", "33 hex digits: only 20 to 32 are answered", src, method="GET", url="https://example.com/webhooks/braintree?bt_challenge=" + "a" * 33)

# ---- Atlassian Connect
src = "https://developer.atlassian.com/cloud/jira/platform/understanding-jwt-for-connect-apps/ (Authorization: JWT <HS256 token keyed with the installation's sharedSecret>; claims iss, iat, exp, qsh = hex SHA-256 of METHOD&path&sorted, RFC 3986-encoded query without jwt); https://bitbucket.org/atlassian/atlassian-jwt-js lib/jwt.ts createCanonicalRequest, createQueryStringHash"
INTEROP = "official: copied from atlassian-connect-express test/resources/jwt-signed-urls.json (generated by Atlassian Connect's JwtSigningInteroperabilityTest; secret s0m3-sh@r3d-s3cr37)"
from urllib.parse import quote, unquote_plus, urlsplit

def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")

def b64url_dec(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def ac_canonical(method, url, base=""):
    u = urlsplit(url)
    path = u.path
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base):]
    path = path.replace("&", "%26")
    if not path.startswith("/"):
        path = "/" + path
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    params = {}
    for kv in u.query.split("&"):
        if not kv:
            continue
        k, _, v = kv.partition("=")
        k, v = unquote_plus(k), unquote_plus(v)
        if k != "jwt":
            params.setdefault(k, []).append(v)
    enc = lambda x: quote(x, safe="-._~")
    q = "&".join(enc(k) + "=" + ",".join(enc(v) for v in sorted(vs, key=lambda x: x.encode())) for k, vs in sorted(params.items(), key=lambda kv: kv[0].encode()))
    return method.upper() + "&" + path + "&" + q

def ac_qsh(method, url, base=""):
    return hashlib.sha256(ac_canonical(method, url, base).encode()).hexdigest()

def ac_token(secret, claims, alg="HS256"):
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    if alg == "none":
        return head + "." + body + "."
    return head + "." + body + "." + b64url(hmac.new(secret.encode(), (head + "." + body).encode(), hashlib.sha256).digest())

isec = "s0m3-sh@r3d-s3cr37"
interop = [
    ("Simple", "GET&/test&param=value", "https://example.com/test?param=value&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJiZTE2OTEwODU4YTQxZmQxOWVhNWMxYjRlOWRlY2NhOWE3ODRkMTAyNGNiMDBiMjE1OGRlZmUyZjI5ZGM4NmRkIiwiaWF0IjoxMzkyMjA0NDYyfQ.RX2cWoT3uD8W355G71nkAwZOAl36COJqRkgfIbsjVW8"),
    ("Spaces", "GET&/test&param=some%20spaces%20in%20this%20parameter", "https://example.com/test?param=some+spaces+in+this+parameter&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJlZjQwOTdkMDUzOTVlYWYxYTEzMzk1NmYxNDAxMTZhOWM0MTFhZmFkNzY4ZDRmMDZkYWFjOWUzMDU3NjQyNjVkIiwiaWF0IjoxMzkyMjA0NDYyfQ.6aOehNE5lkC31NYIMDJF9VZpRZ81kxYHWIpyMBKmYAA"),
    ("Asterisk", "GET&/test&query=connect%2A", "https://example.com/test?query=connect*&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiIwZDI4YmMxMGQxOTcyZDljYWI1OWUxMjNjZTE3OTc2ZWIzMmFhZDY5NTdhMTNjZmI4Yjk3Y2VkNmQzZmM4YTI5IiwiaWF0IjoxMzkyMjA0NDYyfQ.8tAC28rAKUFxdG9NYJpJv2wQBSA-lMTwOam9Bf4PWew"),
    ("Unicode", "GET&/test&director=%E5%AE%AE%E5%B4%8E%20%E9%A7%BF", "https://example.com/test?director=%E5%AE%AE%E5%B4%8E+%E9%A7%BF&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiI0NGQ2MzU0ZmZlOGY5NjM5NzJhN2ZjNTllOThiMmMzZGZlNGI0OTMyOTVjNWI4OWVkZDk3NGEzMzllNjFhYzg5IiwiaWF0IjoxMzkyMjA0NDYyfQ.CpshdNRY7ltaxhs87bE7bvZ7zRm9KqmTkVKp-UC5vP4"),
    ("Plus", "GET&/test&title=1%20%2B%201%20equals%203", "https://example.com/test?title=1+%2B+1+equals+3&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJjZTBhODY2Y2UwYzM0Y2JkZTcwZGViNjNmNjkxNTE5MmY1ODUwMGQyYjQ5YjEyZTFmZmM4Y2RmOTFlZGFiYzkxIiwiaWF0IjoxMzkyMjA0NDYyfQ.p9MMODlPWxPHeK6mcWdciBnEjin3U3qXwKNNHSr4KB8"),
    ("RFC-1738 Unsafe", "GET&/test&rfc=%20%3C%3E%22%23%25%7B%7D%7C%5C%5E~%5B%5D%60", "https://example.com/test?rfc=+%3C%3E%22%23%25%7B%7D%7C%5C%5E%7E%5B%5D%60&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiIzNmJhMzljNTM3OWQ3NTJiYmVmMTM0OWJhNThkZjk4ZWNhYTQ1NmI3OGM3YzJlMzI0NWUyZjMzZWFjNzEyYTQ5IiwiaWF0IjoxMzkyMjA0NDYyfQ.T9FRAsBE7taex5QDhZTYAU8lfZAJ45DDRxZH69eBrgQ"),
    ("RFC-3986 sub-delims", "GET&/test&rfc=%21%24%26%27%28%29%2A%2B%2C%3B%3D", "https://example.com/test?rfc=%21%24%26%27%28%29*%2B%2C%3B%3D&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJiOGQwNDk4NzRmMWZlNWFiZTI3NGQyMGJkZWNlYmVlOGRhYWRhNDUzMTkxYTgyNzczOGVlYmNkNzU5ZWZkNGUxIiwiaWF0IjoxMzkyMjA0NDYyfQ.14kxC331zltAdNmvv_FTn4Xj7Vg3Q7k17eev9F5ckz8"),
    ("Encoded", "GET&/test&referrer=http%3A%2F%2Ffrom.net%2Fp%3Fx%3DA%2B%252B%2BB%26y%3D%2524-_.%252B%2521%2A%2527%2528%2529%252C", "https://example.com/test?referrer=http%3A%2F%2Ffrom.net%2Fp%3Fx%3DA%2B%252B%2BB%26y%3D%2524-_.%252B%2521*%2527%2528%2529%252C&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiI3Y2E4MWI4ZTRlODNjMjM3NWVlYTdiOGI1MGJkMzc4NmJhOGI0MzI2MTE5M2EzYmQzY2NkZmNhMDYxMjBlZTMzIiwiaWF0IjoxMzkyMjA0NDYyfQ.DeDh83KaU7RhPpdh9dCWY13JE8k9t4B9kKxQyZ2RuJk"),
    ("Multi-value", "GET&/test&ids=-1,1,10,2,20", "https://example.com/test?ids=-1&ids=1&ids=10&ids=2&ids=20&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJhNjQ2YzQ4NzQxZmFhZWI2NDlmOWNhNzg4OGFlMDI5ZWFkNDMyZTM4MDZmNTZjNGE1N2I4MGIzZTJhYzYyOGE5IiwiaWF0IjoxMzkyMjA0NDYyfQ.UJxZyqDwoQt0UB3SqeQDtVCibpQ2aziwre7MyO2B4FQ"),
    ("Multi-value Empty", "GET&/test&c=,%20,%2520,%2B", "https://example.com/test?c=&c=+&c=%2520&c=%2B&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJjYmJjYWM5YTZhMDJmM2FkOTZjNWFiNWJmODc2ZGQ5Zjc5YjJjNjFjZWVjNTY2MGExYzlkNzNhM2IxMDJlYzJjIiwiaWF0IjoxMzkyMjA0NDYyfQ.hspxda2CMGl_y8BwEf0Hm8LeLBe3YxGB9eIC6SbewkA"),
    ("Key RFC-1738 Unsafe", "GET&/test&%231=value", "https://example.com/test?%231=value&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiJlY2NiNGEyMzJkNTBjYTQxYWM0MDM5ODY3NWI2NDg3YTcxMWQ5ZTk3MjkxN2Q4YTYxY2JjMTIwZjlmYmRhNTk3IiwiaWF0IjoxMzkyMjA0NDYyfQ.4P5iXssmLcENPW5xVBUM3uTm2hkbUeqe4PPZLx-138A"),
    ("Multiple Parameters Spaces", "GET&/test&a=another%20one,one%20string&b=and%20yet%20more,more%20here", "https://example.com/test?a=another+one&a=one+string&b=and+yet+more&b=more+here&jwt=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzOTIyMDQ2NDIsInN1YiI6IjEyMzQ1Njc4OSIsImlzcyI6ImppcmE6MTIzNC01Njc4LTkwMDAiLCJxc2giOiI3MDA3MjFlNjUzODU3ODFmYzFmYTI0ODIyMGM3NTQwMGYxZThhMTk3YzgzOGVmMTc3OWYwMGI2OWJmYTRhNmZmIiwiaWF0IjoxMzkyMjA0NDYyfQ.xw7X8MeBCIxXy0-FNKkSUcURkvVWmR-x7dAUjYlZ3K0"),
]
for name, canon, signed in interop:
    tok = signed.split("jwt=")[1]
    head, body, sig = tok.split(".")
    # Checked here, independently of the Go code: the token is HS256 with
    # the shared secret, and its qsh is the SHA-256 of the canonical request
    # this generator computes, which is the one the file gives.
    assert b64url(hmac.new(isec.encode(), (head + "." + body).encode(), hashlib.sha256).digest()) == sig, name
    claims = json.loads(b64url_dec(body))
    assert ac_canonical("GET", signed) == canon, (name, ac_canonical("GET", signed), canon)
    assert ac_qsh("GET", signed) == claims["qsh"], name
    slug = name.lower().replace(" ", "-")
    add("atlassian-connect-official-" + slug, "Atlassian Connect", "atlassian-connect", isec, {}, "", claims["iat"] + 10, "valid", "interoperability test '" + name + "': canonical request " + canon, src, method="GET", url=signed, tol=180, provenance=INTEROP)
name, canon, signed = interop[1]
tok = signed.split("jwt=")[1]
add("atlassian-connect-official-other-query", "Atlassian Connect", "atlassian-connect", isec, {}, "", 1392204472, "invalid", "the 'Spaces' token on the 'Simple' request: its qsh covers another query", src, method="GET", url="https://example.com/test?param=value&jwt=" + tok, tol=180, provenance=INTEROP)
add("atlassian-connect-official-expired", "Atlassian Connect", "atlassian-connect", isec, {}, "", 1392204642 + 120, "invalid", "the 'Simple' token two minutes after its exp", src, method="GET", url=interop[0][2], tol=180, provenance=INTEROP)
add("atlassian-connect-official-wrong-secret", "Atlassian Connect", "atlassian-connect", "another shared secret", {}, "", 1392204472, "invalid", "the 'Simple' token checked with another installation's secret", src, method="GET", url=interop[0][2], tol=180, provenance=INTEROP)

# A webhook as Jira sends it to a Connect app: POST, the token in Authorization.
sec = "connect-installation-shared-secret-0c1d"
url = "https://app.example.com/webhooks/jira-issue-updated?user_id=admin&user_key=admin"
body = '{"timestamp":1700000000000,"webhookEvent":"jira:issue_updated","issue":{"id":"10001","key":"TEST-1"}}'
claims = {"iss": "jira:15489595-7a5c-4a63-b6b4-d7e8c2a3b4f5", "iat": NOW - 5, "exp": NOW + 175, "qsh": ac_qsh("POST", url)}
hdr = {"X-Atlassian-Webhook-Identifier": "1711534623-42", "Content-Type": "application/json"}
auth = lambda c, s=sec, alg="HS256": dict(hdr, **{"Authorization": "JWT " + ac_token(s, c, alg)})
add("atlassian-connect-valid", "Atlassian Connect", "atlassian-connect", sec, auth(claims), body, NOW, "valid", "HS256 token whose qsh covers POST, the path and the sorted query", src, url=url, tol=180)
add("atlassian-connect-body-unsigned", "Atlassian Connect", "atlassian-connect", sec, auth(claims), body.replace("TEST-1", "TEST-2"), NOW, "valid", "the body is not signed: another body under the same token verifies (BodyUnsigned)", src, url=url, tol=180)
add("atlassian-connect-other-path", "Atlassian Connect", "atlassian-connect", sec, auth(claims), body, NOW, "invalid", "the token sent to another path", src, url="https://app.example.com/webhooks/jira-issue-deleted?user_id=admin&user_key=admin", tol=180)
add("atlassian-connect-other-method", "Atlassian Connect", "atlassian-connect", sec, auth(dict(claims, qsh=ac_qsh("GET", url))), body, NOW, "invalid", "a qsh computed for GET on a POST", src, url=url, tol=180)
add("atlassian-connect-wrong-secret", "Atlassian Connect", "atlassian-connect", sec, auth(claims, "another installation's secret"), body, NOW, "invalid", "signed with another installation's sharedSecret", src, url=url, tol=180)
add("atlassian-connect-rotation", "Atlassian Connect", "atlassian-connect", ["another installation's secret", sec], auth(claims), body, NOW, "valid", "two installations' secrets configured; the second signed", src, url=url, tol=180)
add("atlassian-connect-expired", "Atlassian Connect", "atlassian-connect", sec, auth(dict(claims, iat=NOW - 400, exp=NOW - 220)), body, NOW, "invalid", "exp passed (more than the leeway ago)", src, url=url, tol=180)
add("atlassian-connect-old-iat", "Atlassian Connect", "atlassian-connect", sec, auth(dict(claims, iat=NOW - 200, exp=NOW + 100)), body, NOW, "invalid", "iat older than the 3-minute window", src, url=url, tol=180)
add("atlassian-connect-no-exp", "Atlassian Connect", "atlassian-connect", sec, auth({k: v for k, v in claims.items() if k != "exp"}), body, NOW, "invalid", "exp is required", src, url=url, tol=180)
add("atlassian-connect-context-qsh", "Atlassian Connect", "atlassian-connect", sec, auth(dict(claims, qsh="context-qsh")), body, NOW, "invalid", "qsh context-qsh: a token the product gives the browser, not a webhook's", src, url=url, tol=180)
add("atlassian-connect-no-qsh", "Atlassian Connect", "atlassian-connect", sec, auth({k: v for k, v in claims.items() if k != "qsh"}), body, NOW, "invalid", "no qsh claim", src, url=url, tol=180)
add("atlassian-connect-no-iss", "Atlassian Connect", "atlassian-connect", sec, auth({k: v for k, v in claims.items() if k != "iss"}), body, NOW, "invalid", "no iss claim (the clientKey)", src, url=url, tol=180)
add("atlassian-connect-alg-none", "Atlassian Connect", "atlassian-connect", sec, auth(claims, alg="none"), body, NOW, "invalid", "alg none", src, url=url, tol=180)
add("atlassian-connect-bearer", "Atlassian Connect", "atlassian-connect", sec, dict(hdr, **{"Authorization": "Bearer " + ac_token(sec, claims)}), body, NOW, "invalid", "Bearer where Atlassian writes JWT", src, url=url, tol=180)

print(json.dumps(V, indent=2))
