#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_handshakes.json (python3
gen_vectors_more_handshakes.py > vectors_more_handshakes.json) independently
of the Go code: Asana's signatures are computed with Python's hmac from the
documented algorithm; the other four providers sign nothing, so their
"signature" is a shared token (Microsoft Graph's clientState, Event Grid's
URL or header secret, Strava's callback URL secret, RingCentral's
Verification-Token), and their vectors check the token and the handshakes."""
import json

from vecgen import RECOMP, V, add, b64, hx  # noqa: F401 (the shared helpers)

NOW = 1700000000

# ---- Asana
src = ("https://developers.asana.com/docs/webhooks-guide (Security: X-Hook-Signature is the hex SHA-256 HMAC of the request body "
       "keyed with the X-Hook-Secret of the handshake; heartbeats carry an empty events list) and "
       "https://developers.asana.com/reference/createwebhook (the handshake: POST with X-Hook-Secret, answered 200 or 204 echoing it; "
       "the example secret used here)")
sec = "b537207f20cbfa02357cf448134da559e8bd39d61597dcd5631b8012eae53e81"
body = ('{"events":[{"user":{"gid":"1123","resource_type":"user"},"created_at":"2023-11-14T22:13:20.000Z","action":"changed",'
        '"resource":{"gid":"1337","resource_type":"task","resource_subtype":"default_task"},"parent":null,"change":{"field":"name","action":"changed"}}]}')
add("asana-valid", "Asana", "asana", sec, {"X-Hook-Signature": hx(sec, body)}, body, NOW, "valid", "hex HMAC-SHA256 of the raw body keyed with the handshake's secret", src)
add("asana-tampered", "Asana", "asana", sec, {"X-Hook-Signature": hx(sec, body)}, body.replace("1337", "1338"), NOW, "invalid", "body changed after signing", src)
add("asana-wrong-secret", "Asana", "asana", sec, {"X-Hook-Signature": hx("another webhook's secret", body)}, body, NOW, "invalid", "signed with another webhook's secret", src)
add("asana-missing", "Asana", "asana", sec, {}, body, NOW, "invalid", "no X-Hook-Signature and no X-Hook-Secret", src)
add("asana-sha256-prefix", "Asana", "asana", sec, {"X-Hook-Signature": "sha256=" + hx(sec, body)}, body, NOW, "invalid", "GitHub's sha256= prefix: Asana sends the bare hex", src)
add("asana-base64", "Asana", "asana", sec, {"X-Hook-Signature": b64(sec, body)}, body, NOW, "invalid", "base64 where Asana sends hex", src)
hb = '{"events":[]}'
add("asana-heartbeat", "Asana", "asana", sec, {"X-Hook-Signature": hx(sec, hb)}, hb, NOW, "valid", "signed heartbeat with no events: answered 200 with no body, not recorded", src,
    expected_response="", expected_status=200)
add("asana-heartbeat-unsigned", "Asana", "asana", sec, {}, hb, NOW, "valid", "a heartbeat without a signature: answered 200 all the same, as it records nothing", src,
    expected_response="", expected_status=200)
add("asana-heartbeat-wrong-signature", "Asana", "asana", sec, {"X-Hook-Signature": hx("another webhook's secret", hb)}, hb, NOW, "invalid", "a heartbeat with a wrong signature", src)
add("asana-handshake-learn", "Asana", "asana", None, {"X-Hook-Secret": sec}, "", NOW, "valid",
    "handshake while no secret is known: the secret is written to secret_file and echoed in X-Hook-Secret with 200", src,
    options={"secret_file": "{tmpdir}/asana.secret"}, expected_response="", expected_status=200, expected_headers={"X-Hook-Secret": sec})
add("asana-handshake-retry", "Asana", "asana", sec, {"X-Hook-Secret": sec}, "", NOW, "valid",
    "handshake with the secret already known (configured): a retry, echoed", src, expected_response="", expected_status=200, expected_headers={"X-Hook-Secret": sec})
add("asana-handshake-second-webhook", "Asana", "asana", sec, {"X-Hook-Secret": "0" * 64}, "", NOW, "invalid",
    "handshake with another secret while one is known: refused (a second webhook would replace the first)", src,
    options={"secret_file": "{tmpdir}/asana.secret"})
add("asana-handshake-cannot-learn", "Asana", "asana", sec, {"X-Hook-Secret": "0" * 64}, "", NOW, "invalid",
    "handshake with an unknown secret and no secret_file to learn it into: refused", src)

# ---- Microsoft Graph change notifications
src = ("https://learn.microsoft.com/graph/change-notifications-delivery-webhooks (notificationUrl validation: POST ?validationToken=..., "
       "answered 200 text/plain with the decoded token within 10 s; notifications {\"value\":[...]} each with the subscription's clientState; "
       "lifecycle notifications with lifecycleEvent) and https://learn.microsoft.com/graph/api/resources/changenotification")
cs = "secretClientValue"
item = ('{"id":"lsgTZMr9KwAAA","subscriptionId":"{sub}","subscriptionExpirationDateTime":"2023-11-16T22:13:20.0000000+00:00",'
        '"clientState":"{cs}","changeType":"created","resource":"Users/7a5e6e1c/Messages/AAMkADM","tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95",'
        '"resourceData":{"@odata.type":"#Microsoft.Graph.Message","@odata.id":"Users/7a5e6e1c/Messages/AAMkADM","id":"AAMkADM"}}')

def graph(*states):
    return '{"value":[' + ",".join(item.replace("{sub}", f"7f105c7d-2dc5-4530-97cd-4e7ae6534c0{i}").replace('"clientState":"{cs}",', "" if s is None else f'"clientState":"{s}",')
                                   for i, s in enumerate(states)) + ']}'

add("msgraph-valid", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, graph(cs), NOW, "valid", "clientState equals the secret", src)
add("msgraph-batch", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, graph(cs, cs), NOW, "valid", "two notifications, both with the clientState", src)
add("msgraph-rotation", "Microsoft Graph", "msgraph", ["oldClientValue", cs], {"Content-Type": "application/json"}, graph("oldClientValue", cs), NOW, "valid",
    "two subscriptions mid-rotation: each clientState matches one of the secrets", src)
add("msgraph-wrong", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, graph("guessedClientValue"), NOW, "invalid", "clientState is not the secret", src)
add("msgraph-one-wrong", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, graph(cs, "guessedClientValue"), NOW, "invalid",
    "the second notification's clientState is wrong: the whole delivery is refused", src)
add("msgraph-missing", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, graph(None), NOW, "invalid", "no clientState", src)
lc = ('{"value":[{"subscriptionId":"7f105c7d-2dc5-4530-97cd-4e7ae6534c07","subscriptionExpirationDateTime":"2023-11-16T22:13:20.0000000+00:00",'
      '"tenantId":"84bd8158-6d4d-4958-8b9f-9d6445542f95","clientState":"' + cs + '","lifecycleEvent":"reauthorizationRequired"}]}')
add("msgraph-lifecycle", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, lc, NOW, "valid", "lifecycle notification (reauthorizationRequired) with the clientState", src)
add("msgraph-lifecycle-wrong", "Microsoft Graph", "msgraph", cs, {"Content-Type": "application/json"}, lc.replace(cs, "guessedClientValue"), NOW, "invalid", "lifecycle notification with a wrong clientState", src)
tok = "Validation: Testing client application reachability for subscription Request-Id: 9e2ea3c9-8e1e-4a1b-a4c4-ae9d1e7d3f2e"
add("msgraph-validation", "Microsoft Graph", "msgraph", cs, {"Content-Type": "text/plain; charset=utf-8"}, "", NOW, "valid",
    "notificationUrl validation: the URL-decoded validationToken answered as text/plain", src,
    url="https://hooks.example.com/webhooks/graph?validationToken=Validation%3a+Testing+client+application+reachability+for+subscription+Request-Id%3a+9e2ea3c9-8e1e-4a1b-a4c4-ae9d1e7d3f2e",
    expected_response=tok)

# ---- Azure Event Grid
src = ("https://learn.microsoft.com/azure/event-grid/webhook-event-delivery (SubscriptionValidationEvent with aeg-event-type: SubscriptionValidation, "
       "answered {\"validationResponse\": data.validationCode}; the CloudEvents v1.0 OPTIONS abuse protection with WebHook-Request-Origin and "
       "WebHook-Allowed-Origin), https://learn.microsoft.com/azure/event-grid/security-authentication (a secret in a query parameter of the endpoint URL) "
       "and https://learn.microsoft.com/azure/event-grid/delivery-properties (static headers)")
sec = "Zm9vYmFyLWV2ZW50Z3JpZC1zZWNyZXQ"
base = "https://hooks.example.com/webhooks/eventgrid"
val = ('[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/00000000-0000-0000-0000-000000000000","subject":"",'
       '"data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6",'
       '"validationUrl":"https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=0000000000-0000-0000-0000-00000000000000&t=2022-10-28T04:23:35.1981776Z&apiVersion=2018-05-01-preview&token=1A1A1A1A"},'
       '"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2022-10-28T04:23:35.1981776Z","metadataVersion":"1","dataVersion":"1"}]')
hv = {"Aeg-Event-Type": "SubscriptionValidation", "Content-Type": "application/json"}
q = {"query_param": "code"}
add("eventgrid-validation", "Azure Event Grid", "eventgrid", sec, hv, val, NOW, "valid", "validation event with the URL's secret: the validationCode answered as JSON", src,
    url=base + "?code=" + sec, options=q, expected_response={"validationResponse": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})
add("eventgrid-validation-no-secret", "Azure Event Grid", "eventgrid", sec, hv, val, NOW, "invalid", "validation event without the URL's secret: not answered", src,
    url=base, options=q)
add("eventgrid-validation-wrong-secret", "Azure Event Grid", "eventgrid", sec, hv, val, NOW, "invalid", "validation event with a wrong secret", src,
    url=base + "?code=guessed", options=q)
ev = ('[{"topic":"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/xstoretestaccount",'
      '"subject":"/blobServices/default/containers/oc2d2817345i200097container/blobs/oc2d2817345i20002296blob","eventType":"Microsoft.Storage.BlobCreated",'
      '"eventTime":"2017-06-26T18:41:00.9584103Z","id":"831e1650-001e-001b-66ab-eeb76e069631","data":{"api":"PutBlockList","clientRequestId":"6d79dbfb-0e37-4fc4-981f-442c9ca65760",'
      '"requestId":"831e1650-001e-001b-66ab-eeb76e000000","eTag":"0x8D4BCC2E4835CD0","contentType":"application/octet-stream","contentLength":524288,"blobType":"BlockBlob",'
      '"url":"https://oc2d2817345i60006.blob.core.windows.net/oc2d2817345i200097container/oc2d2817345i20002296blob","sequencer":"00000000000004420000000000028963"},'
      '"dataVersion":"","metadataVersion":"1"}]')
hn = {"Aeg-Event-Type": "Notification", "Content-Type": "application/json"}
add("eventgrid-event", "Azure Event Grid", "eventgrid", sec, hn, ev, NOW, "valid", "Blob storage event with the URL's secret", src, url=base + "?code=" + sec, options=q)
add("eventgrid-event-wrong-secret", "Azure Event Grid", "eventgrid", sec, hn, ev, NOW, "invalid", "event with a wrong secret", src, url=base + "?code=guessed", options=q)
add("eventgrid-event-no-secret", "Azure Event Grid", "eventgrid", sec, hn, ev, NOW, "invalid", "event without the secret", src, url=base, options=q)
hdr = {"header": "X-Hookgate-Key"}
add("eventgrid-header", "Azure Event Grid", "eventgrid", sec, dict(hn, **{"X-Hookgate-Key": sec}), ev, NOW, "valid", "the secret in a static delivery-property header", src, url=base, options=hdr)
add("eventgrid-header-in-query", "Azure Event Grid", "eventgrid", sec, hn, ev, NOW, "invalid", "configured for a header, the secret came in the query", src, url=base + "?X-Hookgate-Key=" + sec, options=hdr)
add("eventgrid-options", "Azure Event Grid", "eventgrid", sec, {"WebHook-Request-Origin": "eventgrid.azure.net"}, "", NOW, "valid",
    "CloudEvents abuse protection: OPTIONS answered 200 with WebHook-Allowed-Origin", src, method="OPTIONS", url=base + "?code=" + sec, options=q,
    expected_response="", expected_status=200, expected_headers={"WebHook-Allowed-Origin": "eventgrid.azure.net"})
add("eventgrid-options-no-secret", "Azure Event Grid", "eventgrid", sec, {"WebHook-Request-Origin": "eventgrid.azure.net"}, "", NOW, "invalid",
    "OPTIONS without the URL's secret: not answered", src, method="OPTIONS", url=base, options=q)

# ---- Strava
src = ("https://developers.strava.com/docs/webhooks/ (subscription validation GET with hub.mode=subscribe, hub.challenge, hub.verify_token, "
       "answered 200 with {\"hub.challenge\": ...} as JSON within two seconds; the example event; events carry no signature)")
body = '{"aspect_type":"update","event_time":1516126040,"object_id":1360128428,"object_type":"activity","owner_id":134815,"subscription_id":120475,"updates":{"title":"Messy"}}'
sec = "callback-url-secret-4f1c"
base = "https://hooks.example.com/webhooks/strava"
vt = {"verify_token": "STRAVA"}
add("strava-handshake", "Strava", "strava", sec, {}, "", NOW, "valid", "subscription validation with the verify token: the challenge answered as JSON", src,
    method="GET", url=base + "?hub.verify_token=STRAVA&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe", options=vt,
    expected_response={"hub.challenge": "15f7d1a91c1f40f8a748fd134752feb3"}, expected_status=200)
add("strava-handshake-wrong-token", "Strava", "strava", sec, {}, "", NOW, "invalid", "subscription validation with a wrong verify token", src,
    method="GET", url=base + "?hub.verify_token=guessed&hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe", options=vt)
add("strava-handshake-no-token", "Strava", "strava", sec, {}, "", NOW, "invalid", "subscription validation without a verify token", src,
    method="GET", url=base + "?hub.challenge=15f7d1a91c1f40f8a748fd134752feb3&hub.mode=subscribe", options=vt)
add("strava-event", "Strava", "strava", sec, {"Content-Type": "application/json"}, body, NOW, "valid", "event posted to the callback URL with its secret", src,
    url=base + "?token=" + sec, options=vt)
add("strava-event-wrong-token", "Strava", "strava", sec, {"Content-Type": "application/json"}, body, NOW, "invalid", "event with a wrong URL secret", src,
    url=base + "?token=guessed", options=vt)
add("strava-event-no-token", "Strava", "strava", sec, {"Content-Type": "application/json"}, body, NOW, "invalid", "event without the URL secret while secrets are configured", src,
    url=base, options=vt)
add("strava-event-unauthenticated", "Strava", "strava", None, {"Content-Type": "application/json"}, body, NOW, "valid",
    "no secrets configured: every event is accepted (Strava signs nothing)", src, url=base, options=vt)

# ---- RingCentral
src = ("https://developers.ringcentral.com/guide/notifications/webhooks/creating-webhooks (the request that creates a subscription carries "
       "Validation-Token, which the answer's Validation-Token header must echo with 200 within 3 s) and "
       "https://developers.ringcentral.com/guide/notifications/webhooks/receiving (deliveryMode.verificationToken sent back in the Verification-Token header)")
sec = "hookgate-rc-verification-2f9a"
body = ('{"uuid":"8f3f5b4a-0bd2-4c88-9f1b-1c0f5bc35d3b","event":"/restapi/v1.0/account/~/extension/~/message-store","timestamp":"2023-11-14T22:13:20.000Z",'
        '"subscriptionId":"6c6c6ffb-2ca6-4b8b-9bfe-4b3b5a7e8f9d","ownerId":"2253168021","body":{"accountId":37439510,"extensionId":2253168021,"lastUpdated":"2023-11-14T22:13:19.000Z",'
        '"changes":[{"type":"SMS","newCount":1,"updatedCount":0}]}}')
add("ringcentral-valid", "RingCentral", "ringcentral", sec, {"Verification-Token": sec, "Content-Type": "application/json; charset=UTF-8"}, body, NOW, "valid",
    "Verification-Token equals the subscription's verificationToken", src)
add("ringcentral-wrong", "RingCentral", "ringcentral", sec, {"Verification-Token": "guessed", "Content-Type": "application/json; charset=UTF-8"}, body, NOW, "invalid",
    "a wrong Verification-Token", src)
add("ringcentral-missing", "RingCentral", "ringcentral", sec, {"Content-Type": "application/json; charset=UTF-8"}, body, NOW, "invalid", "no Verification-Token", src)
add("ringcentral-validation", "RingCentral", "ringcentral", sec, {"Validation-Token": "f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60"}, "", NOW, "valid",
    "subscription validation: Validation-Token echoed in the answer's header, 200, no body", src,
    expected_response="", expected_status=200, expected_headers={"Validation-Token": "f0a4d8b6-59c3-4b2e-8d1e-3b1a2c9e7f60"})

print(json.dumps(V, indent=2))
