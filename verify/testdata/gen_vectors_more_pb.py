#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_pb.json (python3 gen_vectors_more_pb.py >
vectors_more_pb.json) independently of the Go code: every signature here is
computed with Python's hmac/hashlib/base64 from the algorithm each provider
documents, or copied from the provider's own documentation."""
import base64, hashlib, hmac, json, sys, urllib.parse

from vecgen import RECOMP, V, add, b64, hx, raw  # noqa: F401 (the shared helpers)

# ---- CircleCI
src = ("https://circleci.com/docs/webhooks/#validate-webhooks (circleci/circleci-docs jekyll/_cci2/webhooks.adoc, "
       "'Validate outbound webhooks': circleci-signature is a comma-separated list of versioned signatures; v1 = "
       "hex HMAC-SHA256 of the request body keyed with the signing secret; the example table and Python sample)")
OFFICIAL = "official: copied from the provider's documentation"
add("circleci-doc-hello-world", "CircleCI", "circleci", "secret",
    {"circleci-signature": "v1=734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a"},
    "hello world", 1700000000, "valid", "the documentation's example table: body 'hello world', key 'secret'", src, provenance=OFFICIAL)
add("circleci-doc-lalala", "CircleCI", "circleci", "another-secret",
    {"circleci-signature": "v1=daa220016c8f29a8b214fbfc3671aeec2145cfb1e6790184ffb38b6d0425fa00"},
    "lalala", 1700000000, "valid", "the documentation's example table: body 'lalala', key 'another-secret'", src, provenance=OFFICIAL)
add("circleci-doc-python-foo", "CircleCI", "circleci", "secret",
    {"circleci-signature": "v1=773ba44693c7553d6ee20f61ea5d2757a9a4f4a44d2841ae4e95b52e4cd62db4"},
    "foo", 1700000000, "valid", "the documentation's Python sample, which returns True", src, provenance=OFFICIAL)
add("circleci-doc-python-invalid", "CircleCI", "circleci", "secret",
    {"circleci-signature": "v1=not-a-valid-signature"},
    "foo", 1700000000, "invalid", "the documentation's Python sample, which returns False", src, provenance=OFFICIAL)
add("circleci-doc-wrong-secret", "CircleCI", "circleci", "hunter123",
    {"circleci-signature": "v1=734cc62f32841568f45715aeb9f4d7891324e6d948e4c6c60c0621cdac48623a"},
    "hello world", 1700000000, "invalid", "the 'hello world' signature checked with another key", src, provenance=OFFICIAL)
sec = "circleci_webhook_secret_42"
body = ('{"type":"workflow-completed","id":"3888f21b-eaa7-38e3-8f3d-75a63bba8895","happened_at":"2021-09-01T22:49:34.317Z",'
        '"webhook":{"id":"cf8c4fdd-0587-4da1-b4ca-4846e9640af9","name":"Sample Webhook"},'
        '"workflow":{"id":"fda08377-fe7e-46b1-8992-3a7aaecac9c3","name":"build-test-deploy","status":"success"}}')
sig = hx(sec, body)
add("circleci-valid-with-future-version", "CircleCI", "circleci", sec,
    {"circleci-signature": f"v1={sig},v2=0000000000000000000000000000000000000000000000000000000000000000"},
    body, 1700000000, "valid", "v1 matches; an unknown v2 entry is ignored", src)
add("circleci-tampered", "CircleCI", "circleci", sec, {"circleci-signature": f"v1={sig}"},
    body.replace('"success"', '"failed"'), 1700000000, "invalid", "body changed after signing", src)
add("circleci-no-v1", "CircleCI", "circleci", sec, {"circleci-signature": f"v2={sig}"},
    body, 1700000000, "invalid", "the right MAC under a version other than v1", src)

# ---- Heroku
src = ("https://devcenter.heroku.com/articles/app-webhooks#securing-webhook-requests (Heroku-Webhook-Hmac-SHA256 = "
       "base64 HMAC-SHA256 of the raw body keyed with the subscription's secret); "
       "https://devcenter.heroku.com/articles/addon-webhooks (same header and construction); event body from "
       "https://devcenter.heroku.com/articles/webhook-events")
sec = "heroku_webhook_secret_9c1f"
body = ('{"action":"create","actor":{"email":"user-0165@example.com","id":"33500732-3b64-436f-9710-64cc569c3e4f"},'
        '"created_at":"2016-10-26T22:48:45Z","id":"7846bee9-b017-4492-9bed-34cd8327e71d",'
        '"data":{"app":{"id":"d2f24bd2-399a-4868-9467-bc0ba2411cc2","name":"sample-app-0084"},"version":12},'
        '"previous_data":{},"published_at":null,"resource":"release","sequence":null,"updated_at":"2016-10-26T22:48:45Z",'
        '"version":"application/vnd.heroku+json; version=3",'
        '"webhook_metadata":{"attempt":{"id":"8a44f820-2354-489d-9a11-a793cbf49979"},"delivery":{"id":"d244009a-670f-4340-88e9-789a4f9002d5"},'
        '"event":{"id":"7846bee9-b017-4492-9bed-34cd8327e71d","include":"api:release"},"webhook":{"id":"b54e6a7e-d162-4bd7-ab42-1011582c19cc"}}}')
sig = b64(sec, body)
add("heroku-valid", "Heroku", "heroku", sec, {"Heroku-Webhook-Hmac-SHA256": sig}, body, 1700000000, "valid", "base64 HMAC-SHA256 of the raw body", src)
add("heroku-tampered", "Heroku", "heroku", sec, {"Heroku-Webhook-Hmac-SHA256": sig}, body.replace('"version":12', '"version":13'), 1700000000, "invalid", "body changed after signing", src)
add("heroku-wrong-secret", "Heroku", "heroku", "another_heroku_secret", {"Heroku-Webhook-Hmac-SHA256": sig}, body, 1700000000, "invalid", "signed with another secret", src)
add("heroku-hex-instead-of-base64", "Heroku", "heroku", sec, {"Heroku-Webhook-Hmac-SHA256": hx(sec, body)}, body, 1700000000, "invalid", "the right MAC hex-encoded where Heroku sends base64", src)

# ---- Notion
src = ("https://developers.notion.com/reference/webhooks ('Validating event payloads': X-Notion-Signature = "
       "'sha256=' + hex HMAC-SHA256 of the raw body keyed with the subscription's verification_token; event shape from "
       "the same page's 'Event types & delivery')")
sec = "secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"
body = ('{"id":"367cba44-b6f3-4c92-81e7-6a2e9659efd4","timestamp":"2024-12-05T23:55:34.285Z",'
        '"workspace_id":"13950b26-c203-4f3b-b97d-93ec06319565","workspace_name":"Quantify Labs",'
        '"subscription_id":"29d75c0d-5546-4414-8459-7b7a92f1fc4b","integration_id":"0ef2e755-4912-8096-91c1-00376a88a5ca",'
        '"type":"page.created","authors":[{"id":"c7c11cca-1d73-471d-9b6e-bdef51470190","type":"person"}],'
        '"accessible_by":[{"id":"556a1abf-4f08-40c6-878a-75890d2a88ba","type":"person"}],"attempt_number":1,'
        '"entity":{"id":"153104cd-477e-809d-8dc4-ff2d96ae3090","type":"page"},'
        '"data":{"parent":{"id":"13950b26-c203-4f3b-b97d-93ec06319565","type":"space"}}}')
sig = "sha256=" + hx(sec, body)
add("notion-valid", "Notion", "notion", sec, {"X-Notion-Signature": sig}, body, 1733442934, "valid", "sha256=<hex HMAC-SHA256 of the raw body>", src)
add("notion-tampered", "Notion", "notion", sec, {"X-Notion-Signature": sig}, body.replace("page.created", "page.deleted"), 1733442934, "invalid", "body changed after signing", src)
add("notion-wrong-secret", "Notion", "notion", "secret_another_verification_token", {"X-Notion-Signature": sig}, body, 1733442934, "invalid", "signed with another verification_token", src)
add("notion-no-prefix", "Notion", "notion", sec, {"X-Notion-Signature": hx(sec, body)}, body, 1733442934, "invalid", "the right MAC without the sha256= prefix Notion sends", src)
vbody = '{"verification_token":"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}'
add("notion-verification-request-unsigned", "Notion", "notion", sec, {}, vbody, 1733442934, "invalid", "the subscription's one-time verification request carries no signature and is refused (no handshake)", src)

# ---- Segment
src = ("segmentio/segment-docs src/connections/destinations/catalog/webhooks/index.md ('Authentication': X-Signature = "
       "hex HMAC-SHA1 of the JSON body keyed with the sharedSecret; track example body) = "
       "https://www.twilio.com/docs/segment/connections/destinations/catalog/webhooks; the Actions destination signs the same way: "
       "https://www.twilio.com/docs/segment/connections/destinations/catalog/actions-webhook")
sec = "segment_shared_secret_5e1"
body = ('{"version":1,"type":"track","userId":"019mr8mf4r","event":"Purchased an Item",'
        '"properties":{"revenue":"39.95","shippingMethod":"2-day"},"messageId":"ajs-next-1700000000000-3a56ac3d",'
        '"timestamp":"2012-12-02T00:30:08.276Z"}')
sig = hx(sec, body, hashlib.sha1)
add("segment-valid", "Segment", "segment", sec, {"X-Signature": sig}, body, 1700000000, "valid", "hex HMAC-SHA1 of the raw body", src)
add("segment-tampered", "Segment", "segment", sec, {"X-Signature": sig}, body.replace("39.95", "0.01"), 1700000000, "invalid", "body changed after signing", src)
add("segment-wrong-secret", "Segment", "segment", "another_shared_secret", {"X-Signature": sig}, body, 1700000000, "invalid", "signed with another shared secret", src)
add("segment-sha256-instead-of-sha1", "Segment", "segment", sec, {"X-Signature": hx(sec, body)}, body, 1700000000, "invalid", "HMAC-SHA256 where Segment uses SHA-1: wrong length", src)

# ---- Buildkite
src = ("buildkite/docs pages/apis/webhooks/_webhook_signature.md, _verifying_hmac_signatures.md and "
       "_defending_against_replay_attacks.md = https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature "
       "(X-Buildkite-Signature: timestamp=<unix>,signature=<hex>; signature = OpenSSL::HMAC.hexdigest('sha256', token, "
       "\"#{timestamp}.#{body}\"); check the timestamp against a short window, for example 5 minutes)")
sec = "309c9c842g8565adecpd7469x6005989"
body = ('{"event":"build.finished","build":{"id":"f62a1b4d-10f9-4790-bc1c-e2c3a0c80983","number":42,"state":"passed",'
        '"branch":"main","commit":"a1b2c3d"},"pipeline":{"slug":"my-pipeline"},"sender":{"name":"Some Person"}}')
t = 1619071700
sig = hx(sec, f"{t}.{body}")
add("buildkite-valid", "Buildkite", "buildkite", sec, {"X-Buildkite-Signature": f"timestamp={t},signature={sig}", "X-Buildkite-Event": "build.finished"}, body, t + 30, "valid", "signature = hex HMAC-SHA256 of {timestamp}.{body}", src, tol=300)
add("buildkite-stale", "Buildkite", "buildkite", sec, {"X-Buildkite-Signature": f"timestamp={t},signature={sig}"}, body, t + 301, "invalid", "timestamp 301 s old, window 300 s", src, tol=300)
add("buildkite-tampered", "Buildkite", "buildkite", sec, {"X-Buildkite-Signature": f"timestamp={t},signature={sig}"}, body.replace("passed", "failed"), t, "invalid", "body changed after signing", src, tol=300)
add("buildkite-wrong-secret", "Buildkite", "buildkite", "another_webhook_token", {"X-Buildkite-Signature": f"timestamp={t},signature={sig}"}, body, t, "invalid", "signed with another token", src, tol=300)
add("buildkite-timestamp-changed", "Buildkite", "buildkite", sec, {"X-Buildkite-Signature": f"timestamp={t + 200},signature={sig}"}, body, t + 200, "invalid", "a fresher timestamp put on an old signature: the timestamp is signed", src, tol=300)
add("buildkite-body-only", "Buildkite", "buildkite", sec, {"X-Buildkite-Signature": f"timestamp={t},signature={hx(sec, body)}"}, body, t, "invalid", "MAC of the body alone: the timestamp is part of the signed message", src, tol=300)
add("buildkite-plain-token", "Buildkite", "buildkite", sec, {"X-Buildkite-Token": sec}, body, t, "invalid", "the plain-text token mode has no signature for this preset", src, tol=300)

# ---- Mandrill (Mailchimp Transactional)
src = ("https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/#authenticating-webhook-requests "
       "and https://mandrill.zendesk.com/hc/en-us/articles/205583257-How-to-Authenticate-Webhook-Requests (the webhook URL exactly as "
       "configured, then each POST variable's key and value sorted by key, no delimiter; HMAC-SHA1 keyed with the webhook key; "
       "base64; X-Mandrill-Signature); the 'test-webhook' key of the URL check: "
       "https://mandrill.zendesk.com/hc/en-us/articles/360038740014-Why-can-t-my-webhook-or-inbound-route-URL-be-verified")

def mandrill_sig(key, url, params):
    data = url + "".join(k + v for k, v in sorted(params.items()))
    return b64(key, data, hashlib.sha1)

sec = "KfFuThPttL_KoUyDndHW3A"
url = "https://hooks.example.com/webhooks/mandrill"
events = ('[{"event":"send","_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa","ts":1700000000,'
          '"msg":{"ts":1700000000,"subject":"This an example webhook message","email":"example.webhook@mandrillapp.com",'
          '"sender":"example.sender@mandrillapp.com","tags":["webhook-example"],"state":"sent","_id":"exampleaaaaaaaaaaaaaaaaaaaaaaaaa"}}]')
params = {"mandrill_events": events}
body = urllib.parse.urlencode(params)
sig = mandrill_sig(sec, url, params)
H = {"X-Mandrill-Signature": sig, "Content-Type": "application/x-www-form-urlencoded"}
add("mandrill-valid", "Mandrill", "mandrill", sec, H, body, 1700000000, "valid", "base64 HMAC-SHA1 of the URL + 'mandrill_events' + the events JSON", src, url=url)
add("mandrill-tampered", "Mandrill", "mandrill", sec, H, body.replace("sent", "bounced"), 1700000000, "invalid", "body changed after signing", src, url=url)
add("mandrill-wrong-secret", "Mandrill", "mandrill", "another_webhook_key", H, body, 1700000000, "invalid", "signed with another webhook key", src, url=url)
add("mandrill-other-url", "Mandrill", "mandrill", sec, H, body, 1700000000, "invalid", "a trailing slash more than the configured URL: the URL is signed as configured", src, url=url + "/")
add("mandrill-body-only", "Mandrill", "mandrill", sec, {"X-Mandrill-Signature": b64(sec, "mandrill_events" + events, hashlib.sha1)}, body, 1700000000, "invalid", "MAC without the URL", src, url=url)
tparams = {"mandrill_events": "[]"}
add("mandrill-test-webhook-key", "Mandrill", "mandrill", ["KfFuThPttL_KoUyDndHW3A", "test-webhook"], {"X-Mandrill-Signature": mandrill_sig("test-webhook", url, tparams)},
    urllib.parse.urlencode(tparams), 1700000000, "valid", "the URL check's fallback POST: empty mandrill_events signed with the generic key 'test-webhook', configured as a second secret", src, url=url)

json.dump(V, sys.stdout, indent=1, ensure_ascii=False)
print()
