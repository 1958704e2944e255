#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_officialb.json (python3
gen_vectors_more_officialb.py > vectors_more_officialb.json): vectors copied
verbatim from a provider's own tests or documentation (official), or, where
the provider's own test computes the signature at run time from a fixed
secret and payload, recomputed here with Python's hmac and marked
SDK-derived. Each vector's source names the repository, file and test."""
import base64, hashlib, json

from vecgen import RECOMP, V, add, b64, hx, raw  # noqa: F401 (the shared helpers)

NOW = 1700000000

# ---- Hookdeck (SDK-derived: Hookdeck's own example tests compute the signature at run time)
src = "https://github.com/hookdeck/webhook-skills skills/hookdeck-event-gateway-webhooks/examples/fastapi/test_webhook.py (commit f8a48018): HOOKDECK_WEBHOOK_SECRET='test_hookdeck_secret', generate_hookdeck_signature = base64 HMAC-SHA256 of the payload; the payloads are json.dumps of the tests' dicts (Python's default ', ' and ': ' separators); the same secret and scheme in examples/express/test/webhook.test.js"
SDKDER = "official, SDK-derived: secret and payload from hookdeck/webhook-skills (Hookdeck's own repository) examples/fastapi/test_webhook.py, signature computed at run time by the test and recomputed here"
OFF = "official: copied from hookdeck/webhook-skills examples/fastapi/test_webhook.py"
sec = "test_hookdeck_secret"
def hd(sig, eid="evt_123", src_id="src_123", **more):
    h = {"Content-Type": "application/json", "X-Hookdeck-Signature": sig, "X-Hookdeck-EventId": eid, "X-Hookdeck-Event-Id": eid, "X-Hookdeck-Source-Id": src_id}
    h.update(more)
    return h
for name, test, obj, eid, sid in [
    ("valid", "TestHookdeckWebhook.test_valid_signature_returns_200", {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_123"}}}, "evt_123", "src_123"),
    ("stripe-style", "TestHookdeckWebhook.test_handles_stripe_style_events", {"type": "customer.subscription.created", "data": {"object": {"id": "sub_123"}}}, "evt_456", "src_stripe"),
    ("shopify-style", "TestHookdeckWebhook.test_handles_shopify_style_events", {"id": 123456, "email": "test@example.com"}, "evt_789", "src_shopify"),
]:
    body = json.dumps(obj)
    add("hookdeck-official-" + name, "Hookdeck", "hookdeck", sec, hd(b64(sec, body), eid, sid), body, NOW, "valid", test + ": base64 HMAC-SHA256 of the json.dumps payload with test_hookdeck_secret (X-Hookdeck-EventId added beside the test's X-Hookdeck-Event-Id: Hookdeck sends the former)", src, provenance=SDKDER)
body = json.dumps({"type": "payment_intent.succeeded"})
add("hookdeck-official-invalid-signature", "Hookdeck", "hookdeck", sec, hd("invalid_signature"), body, NOW, "invalid", "TestHookdeckWebhook.test_invalid_signature_returns_401: X-Hookdeck-Signature 'invalid_signature'", src, provenance=OFF)
add("hookdeck-official-missing-signature", "Hookdeck", "hookdeck", sec, {k: v for k, v in hd("").items() if k != "X-Hookdeck-Signature"}, '{"type":"test"}', NOW, "invalid", "TestHookdeckWebhook.test_missing_signature_returns_401: no X-Hookdeck-Signature", src, provenance=OFF)
body = '{"type":"test"}'
add("hookdeck-official-verify-fn-valid", "Hookdeck", "hookdeck", sec, hd(b64(sec, body)), body, NOW, "valid", "TestVerifyHookdeckSignature.test_valid_signature_returns_true: payload {\"type\":\"test\"}", src, provenance=SDKDER)
add("hookdeck-official-verify-fn-invalid", "Hookdeck", "hookdeck", sec, hd("invalid_signature"), body, NOW, "invalid", "TestVerifyHookdeckSignature.test_invalid_signature_returns_false", src, provenance=OFF)
add("hookdeck-official-tampered", "Hookdeck", "hookdeck", sec, hd(b64(sec, body)), body.replace("test", "tesT"), NOW, "invalid", "the payload changed after signing", src)


# ---- Buildkite (official: the fixed vector of Buildkite's own Go client's tests)
src = "https://github.com/buildkite/go-buildkite webhook_test.go TestValidatePayload (commit b303a5e, at 62b6fcf3): secretKey 29b1ff5779c76bd48ba6705eb99ff970, defaultBody (the ping event), defaultSignature timestamp=1642080837,signature=582d496a...; ValidatePayload (webhook.go) checks hex HMAC-SHA256 of '{timestamp}.{body}'"
OFF = "official: copied from buildkite/go-buildkite webhook_test.go TestValidatePayload"
sec = "29b1ff5779c76bd48ba6705eb99ff970"
body = '{"event":"ping","service":{"id":"c9f8372d-c0cd-43dc-9274-768a875cf6ca","provider":"webhook","settings":{"url":"https://server.com/webhooks"}},"organization":{"id":"49801950-1df0-474f-bb56-ad6a930c5cb9","graphql_id":"T3JnYW5pemF0aW9uLS0tZTBmMzk3MgsTksGkxOWYtZTZjNzczZTJiYjEy","url":"https://api.buildkite.com/v2/organizations/acme-inc","web_url":"https://buildkite.com/acme-inc","name":"ACME Inc","slug":"acme-inc","agents_url":"https://api.buildkite.com/v2/organizations/acme-inc/agents","emojis_url":"https://api.buildkite.com/v2/organizations/acme-inc/emojis","created_at":"2021-02-03T20:34:10.486Z","pipelines_url":"https://api.buildkite.com/v2/organizations/acme-inc/pipelines"},"sender":{"id":"c9f8372d-c0cd-43dc-9269-bcbb7f308e3f","name":"ACME Man"}}'
ts = 1642080837
sig = "timestamp=1642080837,signature=582d496ac2d869dd97a3101c4cda346288c49a742592daf582ec64c86449f79c"
assert sig == f"timestamp={ts},signature=" + hx(sec, f"{ts}.{body}")
def bk(s, **more):
    h = {"Content-Type": "application/json", "X-Buildkite-Event": "ping"}
    if s is not None:
        h["X-Buildkite-Signature"] = s
    h.update(more)
    return h
add("buildkite-official-valid", "Buildkite", "buildkite", sec, bk(sig), body, ts + 5, "valid", "TestValidatePayload 'Valid signature': defaultSignature over defaultBody with secretKey", src, tol=300, provenance=OFF)
add("buildkite-official-missing", "Buildkite", "buildkite", sec, bk(None), body, ts + 5, "invalid", "TestValidatePayload 'Missing signature and token'", src, tol=300, provenance=OFF)
add("buildkite-official-bad-format", "Buildkite", "buildkite", sec, bk("invalid"), body, ts + 5, "invalid", "TestValidatePayload 'Invalid signature format': X-Buildkite-Signature 'invalid'", src, tol=300, provenance=OFF)
add("buildkite-official-not-hex", "Buildkite", "buildkite", sec, bk("timestamp=1642080837,signature=yo"), body, ts + 5, "invalid", "TestValidatePayload 'Signature not hex string'", src, tol=300, provenance=OFF)
add("buildkite-official-not-valid", "Buildkite", "buildkite", sec, bk(sig.replace("f", "a", 1)), body, ts + 5, "invalid", "TestValidatePayload 'Signature not valid': the first f of defaultSignature replaced by a", src, tol=300, provenance=OFF)
add("buildkite-official-invalid-token", "Buildkite", "buildkite", sec, bk(None, **{"X-Buildkite-Token": "invalid-token"}), body, ts + 5, "invalid", "TestValidatePayload 'Invalid token': X-Buildkite-Token only (this preset reads the signature)", src, tol=300, provenance=OFF)
add("buildkite-official-stale", "Buildkite", "buildkite", sec, bk(sig), body, ts + 301, "invalid", "the official signature 301 s after its timestamp, window 300 s", src, tol=300)
add("buildkite-official-tampered", "Buildkite", "buildkite", sec, bk(sig), body.replace("ACME Man", "ACME Mat"), ts + 5, "invalid", "sender name changed after signing", src, tol=300)

# ---- Vonage (official token of Vonage's own Python SDK tests: its signature verifies, but it has no payload_hash)
src = "https://github.com/Vonage/vonage-python-sdk jwt/tests/test_verify_jwt.py test_verify_signature_valid / test_verify_signature_invalid (commit b308cb1e): token (iss 'Online JWT Builder', iat 1697634680, exp 33254540828, no payload_hash), valid_signature 'qwertyuiopasdfghjklzxcvbnm123456', invalid_signature 'asdf'"
OFF = "official: token and secrets copied from Vonage/vonage-python-sdk jwt/tests/test_verify_jwt.py"
tok = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJPbmxpbmUgSldUIEJ1aWxkZXIiLCJpYXQiOjE2OTc2MzQ2ODAsImV4cCI6MzMyNTQ1NDA4MjgsImF1ZCI6IiIsInN1YiI6IiJ9.88vJc3I2HhuqEDixHXVhc9R30tA6U_HQHZTC29y6CGM"
h64, p64, s64 = tok.split(".")
assert base64.urlsafe_b64encode(raw("qwertyuiopasdfghjklzxcvbnm123456", h64 + "." + p64)).rstrip(b"=").decode() == s64
body = '{"status":"delivered"}'
add("vonage-official-python-token-no-payload-hash", "Vonage", "vonage", "qwertyuiopasdfghjklzxcvbnm123456", {"Authorization": "Bearer " + tok}, body, 1697634680 + 5, "invalid", "test_verify_signature_valid: the token's HS256 signature verifies with valid_signature, but it carries no payload_hash, which a Vonage webhook always has: refused, since nothing ties it to the body", src, tol=300, provenance=OFF)
add("vonage-official-python-invalid-secret", "Vonage", "vonage", "asdf", {"Authorization": "Bearer " + tok}, body, 1697634680 + 5, "invalid", "test_verify_signature_invalid: the token with invalid_signature 'asdf'", src, tol=300, provenance=OFF)

# ---- Nylas (SDK-derived: Nylas's own CLI's tests sign fixed payloads with fixed secrets at run time)
src = "https://github.com/nylas/cli internal/adapters/webhookserver/server_test.go TestServer_HandleWebhook_RejectsInvalidSignatures and TestServer_HandleWebhook (commit ef2d9b50), signature_test.go TestVerifySignature (commit d9b6c1ba): signWebhookPayload / ComputeSignature = hex HMAC-SHA256 of the body with the webhook secret"
SDKDER = "official, SDK-derived: secret and payload from nylas/cli (Nylas's own CLI) webhookserver tests, signature computed at run time by the test and recomputed here"
OFF = "official: copied from nylas/cli internal/adapters/webhookserver tests"
sec = "test-webhook-secret"
body = '{"type":"message.created","id":"event-123"}'
add("nylas-official-valid", "Nylas", "nylas", sec, {"X-Nylas-Signature": hx(sec, body)}, body, NOW, "valid", "TestServer_HandleWebhook_RejectsInvalidSignatures 'valid signature': hex HMAC-SHA256 of the payload with test-webhook-secret", src, provenance=SDKDER)
add("nylas-official-invalid-signature", "Nylas", "nylas", sec, {"X-Nylas-Signature": "invalid-signature"}, body, NOW, "invalid", "TestServer_HandleWebhook_RejectsInvalidSignatures 'invalid signature'", src, provenance=OFF)
add("nylas-official-missing-signature", "Nylas", "nylas", sec, {}, body, NOW, "invalid", "TestServer_HandleWebhook_RejectsInvalidSignatures 'missing signature'", src, provenance=OFF)
body = '{"type":"message.created"}'
add("nylas-official-plain-hex", "Nylas", "nylas", "test-secret", {"X-Nylas-Signature": hx("test-secret", body)}, body, NOW, "valid", "TestVerifySignature 'plain hex signature' (its 'sha256=' and ' SHA256= ' variants are the CLI's own leniency, not Nylas's format, and are left out)", src, provenance=SDKDER)
add("nylas-official-invalid", "Nylas", "nylas", "test-secret", {"X-Nylas-Signature": "invalid"}, body, NOW, "invalid", "TestVerifySignature 'invalid signature'", src, provenance=OFF)
add("nylas-official-wrong-secret", "Nylas", "nylas", "wrong-secret", {"X-Nylas-Signature": hx("test-secret", body)}, body, NOW, "invalid", "TestVerifySignature 'wrong secret'", src, provenance=SDKDER)
add("nylas-official-challenge", "Nylas", "nylas", sec, {}, "", NOW, "valid", "TestServer_HandleWebhook 'get_challenge_verification': GET ?challenge=test-challenge-123 is answered with the challenge", src, method="GET", url="https://hooks.example.com/webhook?challenge=test-challenge-123", expected_response="test-challenge-123", provenance=OFF)

# ---- Okta (official: the authentication value of Okta's own documentation; nothing is signed)
src = "https://developer.okta.com/docs/guides/secure-hooks/-/main/ ('HTTP header: Basic Authentication': the credential pair of the hook examples is admin:supersecret, Base64-encoded and prefixed with the scheme 'Basic '); the same value 'Basic YWRtaW46c3VwZXJzZWNyZXQ=' in Okta's SDK model docs, https://developer.okta.com/okta-sdk-java/apidocs/com/okta/sdk/resource/model/EventHookChannelConfigAuthScheme.html"
OFF = "official: authentication value copied from Okta's documentation (admin:supersecret as 'Basic YWRtaW46c3VwZXJzZWNyZXQ=')"
sec = "Basic YWRtaW46c3VwZXJzZWNyZXQ="
assert sec == "Basic " + base64.b64encode(b"admin:supersecret").decode()
body = '{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1","contentType":"application/json","eventId":"ef1e3d20-54a5-4395-a7ad-3d8d00dfc14f","eventTime":"2023-11-14T22:13:20.000Z","data":{"events":[{"uuid":"2fc3a0c5-9e1b-11ee-9b2b-0b7a1c3e4d5f","eventType":"user.lifecycle.create"}]}}'
add("okta-official-basic-auth", "Okta", "okta", sec, {"Authorization": sec, "Content-Type": "application/json"}, body, NOW, "valid", "the documented authScheme value sent as Authorization equals the configured secret (the event body is not signed; its shape follows the event hook docs)", src, provenance=OFF)
add("okta-official-basic-no-scheme", "Okta", "okta", sec, {"Authorization": "YWRtaW46c3VwZXJzZWNyZXQ=", "Content-Type": "application/json"}, body, NOW, "invalid", "the documented credentials without the 'Basic ' scheme the guide says to include", src)
add("okta-official-basic-other-password", "Okta", "okta", sec, {"Authorization": "Basic " + base64.b64encode(b"admin:supersecreT").decode(), "Content-Type": "application/json"}, body, NOW, "invalid", "admin with another password", src)

# ---- ClickUp (doc-derived: key and body of ClickUp's own Node.js example; the example computes the signature)
src = "https://developer.clickup.com/docs/webhooksignature (= https://clickup.com/api/developer-portal/webhooksignature/): the Node.js example's key 'secret' and body '{\"webhook_id\":\"7689a169-a000-4985-8676-6902b96d6627\",\"event\":\"taskCreated\",\"task_id\":\"c0j\"}', signature = hex HMAC-SHA256 of the body; the page's sample header X-Signature: f7bc83f430538424b13298e6aa6 is 27 hex digits, a shortened placeholder"
DOCDER = "official, doc-derived: key and body copied from ClickUp's webhook signature page, signature computed by the page's Node.js example and recomputed here"
OFF = "official: header value copied from ClickUp's webhook signature page"
sec = "secret"
body = '{"webhook_id":"7689a169-a000-4985-8676-6902b96d6627","event":"taskCreated","task_id":"c0j"}'
add("clickup-official-docs-example", "ClickUp", "clickup", sec, {"Content-Type": "application/json", "X-Signature": hx(sec, body)}, body, NOW, "valid", "the page's Node.js example: createHmac('sha256', 'secret').update(body).digest('hex')", src, provenance=DOCDER)
add("clickup-official-docs-placeholder", "ClickUp", "clickup", sec, {"Content-Type": "application/json", "X-Signature": "f7bc83f430538424b13298e6aa6"}, body, NOW, "invalid", "the page's sample X-Signature, a 27-digit placeholder that is no HMAC of the sample body", src, provenance=OFF)
add("clickup-official-docs-pretty-body", "ClickUp", "clickup", sec, {"Content-Type": "application/json", "X-Signature": hx(sec, body)}, '{\n    "webhook_id": "7689a169-a000-4985-8676-6902b96d6627",\n    "event": "taskCreated",\n    "task_id": "c0j"\n}', NOW, "invalid", "the page's note: the body is signed without white space; the same event pretty-printed (as the page displays it) does not verify", src)

print(json.dumps(V, indent=2))
