#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_pa.json (python3 gen_vectors_more_pa.py >
vectors_more_pa.json) independently of the Go code: every signature here is
computed with Python's hmac/hashlib/base64 from the algorithm each provider
documents, or copied from the provider's official SDK tests (provenance says
which). Optional arguments name the providers to emit (default: all)."""
import base64, hashlib, hmac, json, sys

from vecgen import RECOMP, V, add, b64, hx, raw  # noqa: F401 (the shared helpers)

def mac(key, msg, alg=hashlib.sha256):
    return hmac.new(key.encode() if isinstance(key, str) else key, msg.encode() if isinstance(msg, str) else msg, alg)

# ---- Paystack
src = "https://paystack.com/docs/payments/webhooks/ (x-paystack-signature: hex HMAC-SHA512 of the raw body with the secret key); code in PaystackOSS/doc-code-snippets src/doc/payments/webhooks/verifying-transaction/index.js"
sec = "sk_test_4f2b9c1e8d7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c"
body = '{"event":"charge.success","data":{"id":302961,"domain":"live","status":"success","reference":"qTPrJoy9Bx","amount":10000,"paid_at":"2023-11-14T22:13:20.000Z","currency":"NGN"}}'
sig = hx(sec, body, hashlib.sha512)
add("paystack-valid", "Paystack", "paystack", sec, {"x-paystack-signature": sig}, body, 1700000000, "valid", "hex HMAC-SHA512 of the raw body with the secret key", src)
add("paystack-tampered", "Paystack", "paystack", sec, {"x-paystack-signature": sig}, body.replace("10000", "1000000"), 1700000000, "invalid", "body changed after signing", src)
add("paystack-public-key", "Paystack", "paystack", sec, {"x-paystack-signature": hx("pk_test_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b", body, hashlib.sha512)}, body, 1700000000, "invalid", "signed with the public key instead of the secret key", src)
add("paystack-sha256", "Paystack", "paystack", sec, {"x-paystack-signature": hx(sec, body)}, body, 1700000000, "invalid", "HMAC-SHA256 where Paystack uses SHA-512: wrong length", src)

# ---- WooCommerce
src = "woocommerce/woocommerce plugins/woocommerce/includes/class-wc-webhook.php (WC_Webhook::generate_signature: base64_encode(hash_hmac('sha256', body, secret, true)); deliver() sets X-WC-Webhook-Signature, -Topic, -Delivery-ID)"
sec = "wc_whsec_9Xq2-Lm7/Tz"
body = '{"id":727,"parent_id":0,"status":"processing","currency":"USD","date_modified_gmt":"2023-11-14T22:13:20","total":"29.35","line_items":[{"id":315,"name":"Woo Single #1","quantity":2}]}'
sig = b64(sec, body)
hdr = lambda s: {"X-WC-Webhook-Signature": s, "X-WC-Webhook-Topic": "order.updated", "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "updated", "X-WC-Webhook-ID": "12", "X-WC-Webhook-Delivery-ID": "a5e4bf2a1c5b3e0e1f4f1b0a6c9d8e7f"}
add("woocommerce-valid", "WooCommerce", "woocommerce", sec, hdr(sig), body, 1700000000, "valid", "base64 HMAC-SHA256 of the raw body with the webhook secret as text", src)
add("woocommerce-tampered", "WooCommerce", "woocommerce", sec, hdr(sig), body.replace("29.35", "0.35"), 1700000000, "invalid", "body changed after signing", src)
add("woocommerce-wrong-secret", "WooCommerce", "woocommerce", sec, hdr(b64("ck_consumer_secret_not_the_webhook_secret", body)), body, 1700000000, "invalid", "signed with a REST API consumer secret instead of the webhook secret", src)
add("woocommerce-hex-encoded", "WooCommerce", "woocommerce", sec, hdr(hx(sec, body)), body, 1700000000, "invalid", "hex where WooCommerce sends base64", src)
add("woocommerce-ping", "WooCommerce", "woocommerce", sec, {"Content-Type": "application/x-www-form-urlencoded"}, "webhook_id=12", 1700000000, "invalid", "the ping sent when a webhook is saved carries no signature", src)

# ---- Onfido
src = "onfido/onfido-python tests/test_classic_webhook_event_verification.py and onfido/webhook_event_verifier.py (hex HMAC-SHA256 of the raw body with the webhook token); header X-SHA2-Signature per https://documentation.identity.entrust.com/api/manual-webhook-signature-verification/"
sec = "wU99mE6jJ7nXOLFwZ0tJymM1lpI15pZh"
body = ("{\"payload\":{\"resource_type\":\"check\",\"action\":\"check.completed\","
        "\"object\":{\"id\":\"f2302f45-227d-413d-ad61-09ec077a086a\",\"status\":\"complete\","
        "\"completed_at_iso8601\":\"2024-04-04T09:21:21Z\","
        "\"href\":\"https://api.onfido.com/v3.6/checks/f2302f45-227d-413d-ad61-09ec077a086a\"}}}")
official = "77ebc3e418f26be6eebb47f7ebe551321de26734fc273961e075fc9ab163d9c7"
assert hx(sec, body) == official
OFF = "official: copied from the onfido-python SDK test"
add("onfido-valid", "Onfido", "onfido", sec, {"X-SHA2-Signature": official}, body, 1712222481, "valid", "the SDK test's event and signature", src, provenance=OFF)
add("onfido-invalid-signature", "Onfido", "onfido", sec, {"X-SHA2-Signature": official[:-1] + "8"}, body, 1712222481, "invalid", "the SDK test's invalid signature (last digit changed)", src, provenance=OFF)
add("onfido-tampered", "Onfido", "onfido", sec, {"X-SHA2-Signature": official}, body.replace("complete\"", "withdrawn\"", 1), 1712222481, "invalid", "body changed after signing", src)
add("onfido-wrong-secret", "Onfido", "onfido", sec, {"X-SHA2-Signature": hx("_ABC123abc123ABC123abc123ABC123_", body)}, body, 1712222481, "invalid", "signed with another webhook's token", src)
add("onfido-sha1-x-signature", "Onfido", "onfido", sec, {"X-Signature": hx(sec, body, hashlib.sha1)}, body, 1712222481, "invalid", "only the legacy SHA-1 X-Signature header: the preset reads X-SHA2-Signature", src)

# ---- Patreon
src = "https://docs.patreon.com/#webhooks (X-Patreon-Signature: hex digest of the body HMAC-MD5 with the webhook's secret; X-Patreon-Event: the trigger)"
sec = "pZ1xK9q2vW8mN3bR7tY4uI0oP6aS5dF2gH8jK1lZ3xC7vB9nM4qW6eR0tY2uI5oP"
body = '{"data":{"attributes":{"currently_entitled_amount_cents":500,"patron_status":"active_patron","last_charge_date":"2023-11-14T22:13:20.000+00:00"},"id":"03ca69c3-ebea-4b9a-8fac-e4a837873254","type":"member"},"included":[],"links":{"self":"https://www.patreon.com/api/oauth2/v2/members/03ca69c3-ebea-4b9a-8fac-e4a837873254"}}'
sig = hx(sec, body, hashlib.md5)
hdr = lambda s: {"X-Patreon-Signature": s, "X-Patreon-Event": "members:pledge:create"}
add("patreon-valid", "Patreon", "patreon", sec, hdr(sig), body, 1700000000, "valid", "hex HMAC-MD5 of the raw body", src)
add("patreon-tampered", "Patreon", "patreon", sec, hdr(sig), body.replace("500", "50000", 1), 1700000000, "invalid", "body changed after signing", src)
add("patreon-wrong-secret", "Patreon", "patreon", sec, hdr(hx("another webhook secret", body, hashlib.md5)), body, 1700000000, "invalid", "signed with another webhook's secret", src)
add("patreon-sha256", "Patreon", "patreon", sec, hdr(hx(sec, body)), body, 1700000000, "invalid", "HMAC-SHA256 where Patreon uses MD5: wrong length", src)

# ---- Flutterwave (v3)
src = "Flutterwave/Flutterwave-WooCommerce includes/class-flutterwave-gateway.php (flutterwave_webhooks: the verif-hash header must equal the secret hash configured on the dashboard)"
sec = "flw_secret_hash_4b7Q9zX2"
body = '{"event":"charge.completed","data":{"id":285959875,"tx_ref":"Links-616626414629","flw_ref":"PeterEkene/FLW270177170","amount":100,"currency":"NGN","status":"successful","created_at":"2023-11-14T22:13:20.000Z"},"event.type":"CARD_TRANSACTION"}'
add("flutterwave-valid", "Flutterwave", "flutterwave", sec, {"verif-hash": sec}, body, 1700000000, "valid", "verif-hash equals the secret hash (the body is not signed)", src)
add("flutterwave-wrong-hash", "Flutterwave", "flutterwave", sec, {"verif-hash": "flw_secret_hash_other"}, body, 1700000000, "invalid", "verif-hash is another value", src)
add("flutterwave-hmac-of-body", "Flutterwave", "flutterwave", sec, {"verif-hash": b64(sec, body)}, body, 1700000000, "invalid", "a MAC of the body where v3 sends the secret hash itself", src)
add("flutterwave-missing", "Flutterwave", "flutterwave", sec, {"flutterwave-signature": b64(sec, body)}, body, 1700000000, "invalid", "no verif-hash header (only the v4 flutterwave-signature, which this preset does not read)", src)

# ---- Figma (webhooks V2)
src = "https://developers.figma.com/docs/rest-api/webhooks-security (compare the passcode in each event with the one given when the webhook was created); figma/rest-api-spec openapi/openapi.yaml WebhookBasePayload (passcode, timestamp, webhook_id)"
sec = "figma-passcode-7Hk2Qw9Zr"
body = '{"event_type":"FILE_UPDATE","file_key":"zH5fTQhGq3WbJmC9Xu","file_name":"Design system","passcode":"%s","protocol_version":"2","retries":0,"timestamp":"2023-11-14T22:13:20Z","webhook_id":"1234"}'
add("figma-valid", "Figma", "figma", sec, {"Content-Type": "application/json"}, body % sec, 1700000000, "valid", "the passcode field equals the configured passcode", src)
ping = '{"event_type":"PING","passcode":"%s","protocol_version":"2","retries":0,"timestamp":"2023-11-14T22:13:20Z","webhook_id":"1234"}'
add("figma-ping", "Figma", "figma", sec, {"Content-Type": "application/json"}, ping % sec, 1700000000, "valid", "the PING sent when the webhook is created carries the passcode like any event", src)
add("figma-wrong-passcode", "Figma", "figma", sec, {"Content-Type": "application/json"}, body % "another-passcode", 1700000000, "invalid", "the passcode of another webhook", src)
add("figma-no-passcode", "Figma", "figma", sec, {"Content-Type": "application/json"}, body.replace('"passcode":"%s",', ''), 1700000000, "invalid", "no passcode field", src)
add("figma-passcode-twice", "Figma", "figma", sec, {"Content-Type": "application/json"}, (body % "another-passcode").replace('"webhook_id"', '"passcode":"%s","webhook_id"' % sec), 1700000000, "invalid", "passcode twice: JSON parsers disagree on which wins", src)
add("figma-passcode-in-header", "Figma", "figma", sec, {"X-Figma-Passcode": sec}, body.replace('"passcode":"%s",', ''), 1700000000, "invalid", "the passcode is read from the body only", src)

# ---- Mercado Pago
src = "mercadopago/sdk-php src/MercadoPago/Webhook/WebhookSignatureValidator.php (x-signature ts=,v1=; manifest id:{data.id};request-id:{x-request-id};ts:{ts}; with absent pairs left out; hex HMAC-SHA256 with the secret signature) and tests/MercadoPago/Webhook/Unit/WebhookSignatureValidatorUnitTest.php (secret, request id, data.id and ts below)"
SDK = "recomputed from the inputs of the mercadopago/sdk-php unit test (the test computes its hash the same way)"
sec = "your_secret_key_here"
rid = "2066ca19-c6f1-498a-be75-1923005edd06"
raw_id, low_id = "ORD01JQ4S4KY8HWQ6NA5PXB65B3D3", "ord01jq4s4ky8hwq6na5pxb65b3d3"
ts = "1742505638683"
def manifest(did, rid, ts):
    parts = []
    if did: parts.append("id:" + did)
    if rid: parts.append("request-id:" + rid)
    parts.append("ts:" + ts)
    return ";".join(parts) + ";"
body = '{"action":"order.processed","api_version":"v1","application_id":"130106526144588","data":{"id":"ORD01JQ4S4KY8HWQ6NA5PXB65B3D3"},"date_created":"2025-03-20T21:20:38.683Z","id":"123456","live_mode":false,"type":"order","user_id":"2021490138"}'
url = lambda did: "https://hooks.example.com/webhooks/mercadopago?data.id=" + did + "&type=order"
now = 1742505638
sig = hx(sec, manifest(low_id, rid, ts))
add("mercadopago-valid", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": rid}, body, now, "valid", "the SDK test's happy path: lower-case data.id from the query", src, url=url(low_id), provenance=SDK)
add("mercadopago-upper-data-id", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={hx(sec, manifest(raw_id, rid, ts))}", "x-request-id": rid}, body, now, "valid", "upper-case data.id signed as sent (the SDK test's case 2)", src, url=url(raw_id), provenance=SDK)
add("mercadopago-upper-data-id-signed-lower", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": rid}, body, now, "valid", "upper-case data.id in the URL, signed lowered as the documentation asks", src, url=url(raw_id), provenance=SDK)
add("mercadopago-no-request-id", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={hx(sec, manifest(low_id, None, ts))}"}, body, now, "valid", "no x-request-id: its pair is left out of the manifest", src, url=url(low_id), provenance=SDK)
add("mercadopago-body-not-signed", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": rid}, body.replace("order.processed", "order.refunded"), now, "valid", "the body is not signed: a changed action still verifies, its data.id being the signed one (fetch the resource by data.id)", src, url=url(low_id), provenance=SDK)
add("mercadopago-old-ts", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": rid}, body, now + 86400, "valid", "ts is signed but has no window (a day later still verifies: a captured request can be sent again for ever)", src, url=url(low_id), provenance=SDK)
add("mercadopago-other-data-id", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": rid}, body, now, "invalid", "data.id in the URL changed after signing", src, url=url("ord01jq4s4ky8hwq6na5pxb65b3d4"), provenance=SDK)
add("mercadopago-other-request-id", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={sig}", "x-request-id": "2066ca19-c6f1-498a-be75-1923005edd07"}, body, now, "invalid", "x-request-id changed after signing", src, url=url(low_id), provenance=SDK)
add("mercadopago-other-ts", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts=1742505638684,v1={sig}", "x-request-id": rid}, body, now, "invalid", "ts changed after signing", src, url=url(low_id), provenance=SDK)
add("mercadopago-wrong-secret", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={hx('another_secret', manifest(low_id, rid, ts))}", "x-request-id": rid}, body, now, "invalid", "signed with another application's secret", src, url=url(low_id), provenance=SDK)
add("mercadopago-no-trailing-semicolon", "Mercado Pago", "mercadopago", sec, {"x-signature": f"ts={ts},v1={hx(sec, manifest(low_id, rid, ts)[:-1])}", "x-request-id": rid}, body, now, "invalid", "manifest signed without its final ;", src, url=url(low_id), provenance=SDK)
add("mercadopago-missing-ts", "Mercado Pago", "mercadopago", sec, {"x-signature": f"v1={sig}", "x-request-id": rid}, body, now, "invalid", "x-signature without ts (the SDK test's case 5)", src, url=url(low_id), provenance=SDK)
add("mercadopago-garbage-header", "Mercado Pago", "mercadopago", sec, {"x-signature": "this-is-garbage", "x-request-id": rid}, body, now, "invalid", "malformed x-signature (the SDK test's case 3)", src, url=url(low_id), provenance=SDK)

only = set(sys.argv[1:])
json.dump([v for v in V if not only or v["scheme"] in only], sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
