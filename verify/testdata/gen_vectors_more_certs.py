#!/usr/bin/env python3
"""Generates verify/testdata/vectors_more_certs.json (python3 gen_vectors_more_certs.py >
vectors_more_certs.json) independently of the Go code: the vectors of the
certificate-signed presets, Amazon SNS and PayPal. Official vectors are copied
from the providers' SDK tests, with the certificates that sign them
(certs/SOURCES.md); the others are signed here with Python's cryptography and
the throwaway key certs/test-rsa-key.pem. Each vector's certs map (URL to PEM)
is what the vector test serves in place of AWS and PayPal."""
import base64, datetime, json, os, zlib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from vecgen import RECOMP, V, add

HERE = os.path.dirname(os.path.abspath(__file__))


def pem(name):
    with open(os.path.join(HERE, "certs", name)) as f:
        return f.read()


with open(os.path.join(HERE, "certs", "test-rsa-key.pem"), "rb") as f:
    TEST_KEY = serialization.load_pem_private_key(f.read(), password=None)
TEST_CERT = pem("test-rsa-cert.pem")


def rsa_sign(msg, sha1=False):
    h = hashes.SHA1() if sha1 else hashes.SHA256()
    return base64.b64encode(TEST_KEY.sign(msg.encode(), padding.PKCS1v15(), h)).decode()


def unix(ts):
    return int(datetime.datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp())


# ---- Amazon SNS

SNS_SRC = ("https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html (string to sign per Type: "
           "Message, MessageId, Subject if present, Timestamp, TopicArn, Type; confirmations: Message, MessageId, SubscribeURL, "
           "Timestamp, Token, TopicArn, Type; SignatureVersion 1 SHA1withRSA, 2 SHA256withRSA); "
           "https://github.com/aws/aws-js-sns-message-validator index.js (host pattern, .pem)")
SNS_OFFICIAL_SRC = ("https://github.com/aws/aws-php-sns-message-validator tests/FunctionalValidationsTest.php getHttpFixtures "
                    "(fields, signature and certificate copied; the body is the fixture's fields as SNS lays out JSON, "
                    "the x-amz-sns-* headers what SNS sends with it)")
SNS_OFFICIAL = "official: copied from aws/aws-php-sns-message-validator tests/FunctionalValidationsTest.php"
SNS_KEYS = ["Type", "MessageId", "Token", "TopicArn", "Subject", "Message", "SubscribeURL", "Timestamp",
            "SignatureVersion", "Signature", "SigningCertURL", "UnsubscribeURL", "SequenceNumber", "MessageAttributes"]


def sns_body(m):
    """An SNS message laid out as SNS sends it: two-space indent, ' : '."""
    keys = [k for k in SNS_KEYS if k in m] + [k for k in m if k not in SNS_KEYS]
    return "{\n" + ",\n".join(f"  {json.dumps(k)} : {json.dumps(m[k], ensure_ascii=False)}" for k in keys) + "\n}"


def sns_headers(m):
    return {"x-amz-sns-message-type": m["Type"], "x-amz-sns-message-id": m["MessageId"], "x-amz-sns-topic-arn": m["TopicArn"],
            "Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent"}


def sns_string_to_sign(m):
    if m["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{m[k]}\n" for k in keys if k in m)


SNS_CERT_URL = "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
SNS_CERTS = {SNS_CERT_URL: pem("sns-us-east-2-SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem")}
FIXTURES = [
    ("v1", {"Type": "Notification", "MessageId": "792cda85-518f-5dd3-9163-81d851212f3a",
            "TopicArn": "arn:aws:sns:us-east-2:295079676684:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362",
            "Message": "Hello world", "Timestamp": "2022-07-28T21:23:58.317Z", "SignatureVersion": "1",
            "Signature": "ghtf+deOBAzHJJZ6s6CdRLfTQAlcGzq9naoFM1wi0CJiq//uVRuZnamrkWNF0fhouMFvuLVRwcz8PZLUMSfnmd5VpdTKpTyiKmy1qJAZXma0w+yi7G+I33hD1Jyk1Nbym2n0kqp3fVu2aoooiN2ZeLAT2bH0/BtjLSfN1yAOKNoprco4qV9gGUZinXJdj9a1YdNhDR2jKi33ldlsVtEXAtiaDklGEk7DgRKX38GerBPiLg3FdtgY6KC7cdeGpU/dGK+4hjc83Ive1HoFkAwqhpgInM2sMytBosoiXfCmOKmU4xeGD0gHDNZTlJUJQDlzw8Eag0H9f/5zXF9d3uy0YQ==",
            "SigningCertURL": SNS_CERT_URL,
            "UnsubscribeURL": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-2:295079676684:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362:2296bc94-7992-4be1-b15f-b97229b5c1d8"}),
    ("v2", {"Type": "Notification", "MessageId": "17dea24b-55c2-540b-8362-f916557af765",
            "TopicArn": "arn:aws:sns:us-east-2:295079676684:publish-and-verify-62674b1d-4295-426b-88e7-5fb75652a04e",
            "Message": "Hello world", "Timestamp": "2022-07-28T21:24:08.324Z", "SignatureVersion": "2",
            "Signature": "CXVqp9PfZAL+4JHS3Zxo1PFbQsvnOjvmYhtIf17TWpwc+iIVas8kZ8GopuzVzVMdatE7rCl/O4P91Zp05Dwz8lk8dLhfp8gSu3Njlzxlyrmzo9x3va3Jb7zFnedgS2GKnZWHGBdwTXho+TosNUE+3e10OMSlwN5XGDwX7+R3WL+rn+AXmFAqp3alg27sYa55h1dLE9cGszGPjScPdtF3BmZsUDMx9wSdNKsCk+vSvE8yBjnCmUl7laSFj3LzPVrlSwgNYCF3kYnNAkah7NplK4SFhJYLwS0HCVCQJKa8rVbQLf9cBTu60U402mrgy0bN8xWoyimzbYbrOMJjalqkUg==",
            "SigningCertURL": SNS_CERT_URL,
            "UnsubscribeURL": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-2:295079676684:publish-and-verify-62674b1d-4295-426b-88e7-5fb75652a04e:ad7d16e3-0a7c-46aa-b23e-ffaf02250cbe"}),
    ("v1-subject", {"Type": "Notification", "MessageId": "11405cc3-9ac7-56d5-b45d-079e8f7a8edf",
                    "TopicArn": "arn:aws:sns:us-east-2:295079676684:publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84",
                    "Subject": "Hello world", "Message": "Hello world", "Timestamp": "2022-07-28T22:53:49.654Z", "SignatureVersion": "1",
                    "Signature": "AItkS26d8yvnIKJevdirIPW7eM/yKbZy3/CF2EreCHmXWB3etWaV5Fb7SYpGABMpugpDZzNyGY1wCVWaopDoQ+7Q/kI2TpDu8bw1eExbi8U3kduvc/2m2fIrI4gDEY8/v3nzoLcr8pPodqMzrX6SzQou4klfaqbNK+rFmH0LVf2Q1VyOROODoSXmo4jg2Yu12jfxccBl96Drr/ihq4MJ4OcrWh6UzXXlVYjJHx2Ui4anNwNEb+Z4C2CAF1DjQUbhDtaoajDBPY+4d9C1OwbqwQpXsd6tyVcI9nFyEsVK8lfnAV+/3GZQcdXHbIUYBRGcBa4X5TlWJku5nDH2ERtHHw==",
                    "SigningCertURL": SNS_CERT_URL,
                    "UnsubscribeURL": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-2:295079676684:publish-and-verify-6e11fed2-fcdf-4c52-9dc4-36ef43f37f84:adb318c3-2234-4c56-905d-c324cf0df874"}),
    ("v2-subject", {"Type": "Notification", "MessageId": "4504e649-d933-5aa9-8199-bd14ccf05f0b",
                    "TopicArn": "arn:aws:sns:us-east-2:295079676684:publish-and-verify-530b26da-0687-4fe4-9f71-780bad3181e2",
                    "Subject": "Hello world", "Message": "Hello world", "Timestamp": "2022-07-28T22:53:55.086Z", "SignatureVersion": "2",
                    "Signature": "cETcSvmmkt+My05qCLKexyl0+RyG83mSryKPqTfS+tYcxDJWVcjPJAr+qdpElzVaBl1aTGYVWMY64i9JqZ/JES8pylNj8LGvdhuNQKO59/WCoIimZAsNhn0xEgOeeDU+W/0BU4sdpCGMNjo0S/FuIiWaRe4E0YWRVrxeQevaQ70euDdfWgd5v1eCKQz8b367b9XBmMztL/CWUFI6YaKK/MV21eyvJe3Y7CtVYiOKEYiAZnAEkynK7gUGO5TsgDjGNYhj6U3xYsWgI03bmioSl7kdFSUj+AZ7ugas5fghqxgoDsdfqsjMYKRm5KKHQWsgzI619yIzpNKUiSMHxdZXpQ==",
                    "SigningCertURL": SNS_CERT_URL,
                    "UnsubscribeURL": "https://sns.us-east-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-east-2:295079676684:publish-and-verify-530b26da-0687-4fe4-9f71-780bad3181e2:db0ad2ad-03d1-48ca-a5da-51f317800a57"}),
]


def sns(id, m, secret, now, expect, reason, src=SNS_SRC, provenance=RECOMP, certs=None, **extra):
    add(id, "Amazon SNS", "sns", secret, sns_headers(m), sns_body(m), now, expect, reason, src, tol=3600,
        provenance=provenance, certs=certs if certs is not None else SNS_CERTS, **extra)


for name, m in FIXTURES:
    now = unix(m["Timestamp"]) + 5
    sns(f"sns-official-{name}", m, m["TopicArn"], now, "valid", f"AWS's fixture, SignatureVersion {m['SignatureVersion']}" + (", with a Subject" if "Subject" in m else ""),
        SNS_OFFICIAL_SRC, SNS_OFFICIAL)

v1, v2, v1s, v2s = (m for _, m in FIXTURES)
T2 = unix(v2["Timestamp"]) + 5
sns("sns-official-tampered", dict(v2, Message="Hello world!"), v2["TopicArn"], T2, "invalid", "Message changed after signing", SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-topic-not-configured", v2, "arn:aws:sns:us-east-2:295079676684:another-topic", T2, "invalid",
    "a genuine message of a topic that is not configured: anyone can subscribe the endpoint to a topic of theirs", SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-account-wildcard", v2, "arn:aws:sns:us-east-2:295079676684:*", T2, "valid", "topic * accepts any topic of the account in the region",
    SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-other-account-wildcard", v2, "arn:aws:sns:us-east-2:111111111111:*", T2, "invalid", "topic * of another account", SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-stale", v2, v2["TopicArn"], unix(v2["Timestamp"]) + 3601, "invalid", "Timestamp 3601 s old, window 3600 s (SNS retries for at most 3600 s)",
    SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-v1-read-as-v2", dict(v1, SignatureVersion="2"), v1["TopicArn"], unix(v1["Timestamp"]) + 5, "invalid",
    "a SHA1withRSA signature with SignatureVersion 2 (SignatureVersion is not signed, the hash it names must match)", SNS_OFFICIAL_SRC, SNS_OFFICIAL)
sns("sns-official-subject-removed", {k: v for k, v in v2s.items() if k != "Subject"}, v2s["TopicArn"], unix(v2s["Timestamp"]) + 5, "invalid",
    "Subject is signed when present", SNS_OFFICIAL_SRC, SNS_OFFICIAL)
evil = "https://sns.us-east-2.amazonaws.com.evil.example/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
sns("sns-official-cert-other-host", dict(v2, SigningCertURL=evil), v2["TopicArn"], T2, "invalid",
    "SigningCertURL on another host (that serves the right certificate): refused before any fetch", SNS_OFFICIAL_SRC, SNS_OFFICIAL,
    certs=dict(SNS_CERTS, **{evil: SNS_CERTS[SNS_CERT_URL]}))
plain = SNS_CERT_URL.replace("https://", "http://")
sns("sns-official-cert-http", dict(v2, SigningCertURL=plain), v2["TopicArn"], T2, "invalid", "SigningCertURL over http",
    SNS_OFFICIAL_SRC, SNS_OFFICIAL, certs=dict(SNS_CERTS, **{plain: SNS_CERTS[SNS_CERT_URL]}))
sns("sns-official-unsigned-key-added", dict(v2, MessageAttributes={"k": {"Type": "String", "Value": "added"}}), v2["TopicArn"], T2, "valid",
    "MessageAttributes is not signed: a key added to a genuine message still verifies (the forwarded body is not all signed)", SNS_OFFICIAL_SRC, SNS_OFFICIAL)

# Recomputed with the test key: the confirmations and a FIFO notification.
TEST_SNS_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-hookgate-test.pem"
TEST_SNS_CERTS = {TEST_SNS_URL: TEST_CERT}
TOPIC = "arn:aws:sns:us-east-1:123456789012:orders"
TS = "2023-11-14T22:13:20.000Z"
NOW = unix(TS) + 2
TOKEN = "2336412f37fb687f5d51e6e2425f004aedb5ba1f7dd5d19a5d7a3e0a4ee8b4a3f6f2b5d0c3e9d8f1a2b3c4d5e6f70819"
SUBSCRIBE = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC + "&Token=" + TOKEN


def signed(m, sha1=False):
    m = dict(m, SignatureVersion="1" if sha1 else "2", SigningCertURL=TEST_SNS_URL)
    m["Signature"] = rsa_sign(sns_string_to_sign(m), sha1)
    return m


conf = signed({"Type": "SubscriptionConfirmation", "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b", "Token": TOKEN, "TopicArn": TOPIC,
               "Message": f"You have chosen to subscribe to the topic {TOPIC}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
               "SubscribeURL": SUBSCRIBE, "Timestamp": TS})
sns("sns-subscription-confirmation", conf, TOPIC, NOW, "valid", "a SubscriptionConfirmation: confirmed (GET SubscribeURL, which the vector test answers) and answered",
    certs=TEST_SNS_CERTS, expected_response={"status": "subscription confirmed", "topic": TOPIC})
sns("sns-subscription-confirmation-forwarded", conf, TOPIC, NOW, "valid", "with auto_confirm false the confirmation is an event: no answer of its own",
    certs=TEST_SNS_CERTS, auto_confirm=False)
sns("sns-confirmation-token-changed", dict(conf, Token=TOKEN[:-1] + "0", SubscribeURL=SUBSCRIBE[:-1] + "0"), TOPIC, NOW, "invalid",
    "Token and SubscribeURL are signed in a confirmation", certs=TEST_SNS_CERTS)
sns("sns-confirmation-other-topic", conf, "arn:aws:sns:us-east-1:123456789012:other", NOW, "invalid",
    "a confirmation of a topic that is not configured is neither confirmed nor answered", certs=TEST_SNS_CERTS)
unsub = signed(dict({k: v for k, v in conf.items() if k not in ("Signature", "SigningCertURL", "SignatureVersion")}, Type="UnsubscribeConfirmation",
                    Message=f"You have chosen to deactivate subscription to the topic {TOPIC}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."))
sns("sns-unsubscribe-confirmation", unsub, TOPIC, NOW, "valid", "an UnsubscribeConfirmation: answered, not resubscribed",
    certs=TEST_SNS_CERTS, expected_response={"status": "unsubscribe acknowledged", "topic": TOPIC})
FIFO = "arn:aws:sns:us-east-1:123456789012:orders.fifo"
fifo = signed({"Type": "Notification", "MessageId": "a8b7c6d5-e4f3-5a2b-9c1d-0e9f8a7b6c5d", "SequenceNumber": "10000000000000003000", "TopicArn": FIFO,
               "Message": '{"order":"o-1","status":"paid"}', "Timestamp": TS,
               "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + FIFO + ":b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"})
sns("sns-fifo-notification", fifo, FIFO, NOW, "valid", "a FIFO topic's notification, JSON Message, SHA256withRSA (SequenceNumber is not signed)", certs=TEST_SNS_CERTS)
sns("sns-fifo-tampered", dict(fifo, Message='{"order":"o-1","status":"refunded"}'), FIFO, NOW, "invalid", "Message changed after signing", certs=TEST_SNS_CERTS)
v1t = signed({"Type": "Notification", "MessageId": "b1", "TopicArn": TOPIC, "Subject": "", "Message": "ünïcødé ♥", "Timestamp": TS}, sha1=True)
sns("sns-v1-empty-subject", v1t, TOPIC, NOW, "valid", "SignatureVersion 1, an empty Subject (present, so signed), a UTF-8 Message", certs=TEST_SNS_CERTS)
sns("sns-future", v1t, TOPIC, unix(TS) - 3601, "invalid", "Timestamp 3601 s in the future, window 3600 s", certs=TEST_SNS_CERTS)

# ---- PayPal

PP_SRC = ("https://developer.paypal.com/api/rest/webhooks/rest/ (PAYPAL-TRANSMISSION-SIG: SHA256withRSA over "
          "<transmission id>|<transmission time>|<webhook id>|<CRC32 of the raw body, unsigned decimal>, certificate at PAYPAL-CERT-URL); "
          "https://github.com/paypal/PayPal-Java-SDK rest-api-sdk/src/main/java/com/paypal/api/payments/Event.java validateReceivedEvent")
PP_NODE_SRC = ("https://github.com/paypal/PayPal-node-SDK test/notification.js ('verify webhook event success': eventBody, certURL, "
               "actualSignature, transmissionId, timeStamp, webhookId) and test/mocks/notification.js (the certificate)")
PP_NODE = "official: copied from paypal/PayPal-node-SDK test/notification.js"
PP_JAVA_SRC = ("https://github.com/paypal/PayPal-Java-SDK rest-api-sdk/src/test/java/com/paypal/base/ValidateCertTest.java "
               "(headers, webhook ID and body of testValidEndpoint) and src/test/resources/testClientCert.crt")
PP_JAVA = "official: copied from paypal/PayPal-Java-SDK ValidateCertTest.java"


def pp_headers(tid, ts, sig, url, algo="SHA256withRSA"):
    return {"PAYPAL-TRANSMISSION-ID": tid, "PAYPAL-TRANSMISSION-TIME": ts, "PAYPAL-TRANSMISSION-SIG": sig, "PAYPAL-CERT-URL": url,
            "PAYPAL-AUTH-ALGO": algo, "Content-Type": "application/json"}


def pp(id, secret, headers, body, now, expect, reason, src, provenance, certs, tol=600, **extra):
    add(id, "PayPal", "paypal", secret, headers, body, now, expect, reason, src, tol=tol, provenance=provenance, certs=certs, **extra)


node_body = '{"id":"WH-0G2756385H040842W-5Y612302CV158622M","create_time":"2015-05-18T15:45:13Z","resource_type":"sale","event_type":"PAYMENT.SALE.COMPLETED","summary":"Payment completed for $ 20.0 USD","resource":{"id":"4EU7004268015634R","create_time":"2015-05-18T15:44:02Z","update_time":"2015-05-18T15:44:21Z","amount":{"total":"20.00","currency":"USD"},"payment_mode":"INSTANT_TRANSFER","state":"completed","protection_eligibility":"ELIGIBLE","protection_eligibility_type":"ITEM_NOT_RECEIVED_ELIGIBLE,UNAUTHORIZED_PAYMENT_ELIGIBLE","parent_payment":"PAY-86C81811X5228590KKVNARQQ","transaction_fee":{"value":"0.88","currency":"USD"},"links":[{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU7004268015634R","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/payments/sale/4EU7004268015634R/refund","rel":"refund","method":"POST"},{"href":"https://api.sandbox.paypal.com/v1/payments/payment/PAY-86C81811X5228590KKVNARQQ","rel":"parent_payment","method":"GET"}]},"links":[{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-0G2756385H040842W-5Y612302CV158622M","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-0G2756385H040842W-5Y612302CV158622M/resend","rel":"resend","method":"POST"}]}'
node_url = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
node_sig = "thy4/U002quzxFavHPwbfJGcc46E8rc5jzgyeafWm5mICTBdY/8rl7WJpn8JA0GKA+oDTPsSruqusw+XXg5RLAP7ip53Euh9Xu3UbUhQFX7UgwzE2FeYoY6lyRMiiiQLzy9BvHfIzNIVhPad4KnC339dr6y2l+mN8ALgI4GCdIh3/SoJO5wE64Bh/ueWtt8EVuvsvXfda2Le5a2TrOI9vLEzsm9GS79hAR/5oLexNz8UiZr045Mr5ObroH4w4oNfmkTaDk9Rj0G19uvISs5QzgmBpauKr7Nw++JI0pr/v5mFctQkoWJSGfBGzPRXawrvIIVHQ9Wer48GR2g9ZiApWg=="
node_tid, node_ts, node_wid = "dfb3be50-fd74-11e4-8bf3-77339302725b", "2015-05-18T15:45:13Z", "4JH86294D6297924G"
node_certs = {node_url: pem("paypal-sandbox-CERT-360caa42-fca2a594-a5cafa77.pem")}
NN = unix(node_ts) + 5
good = pp_headers(node_tid, node_ts, node_sig, node_url)
pp("paypal-official-node", node_wid, good, node_body, NN, "valid", "the SDK's signed PAYMENT.SALE.COMPLETED, 5 s after its transmission", PP_NODE_SRC, PP_NODE, node_certs)
pp("paypal-official-node-tampered", node_wid, good, node_body.replace('"20.00"', '"2000.00"'), NN, "invalid", "the amount changed after signing (the CRC32 changes)",
   PP_NODE_SRC, PP_NODE, node_certs)
pp("paypal-official-node-wrong-webhook-id", "6HY79521VR978045E", good, node_body, NN, "invalid", "verified with another webhook ID (the SDK test's webhook_id)",
   PP_NODE_SRC, PP_NODE, node_certs)
pp("paypal-official-node-stale", node_wid, good, node_body, unix(node_ts) + 601, "invalid", "transmission time 601 s old, window 600 s",
   PP_NODE_SRC, PP_NODE, node_certs)
pp("paypal-official-node-other-transmission", node_wid, dict(good, **{"PAYPAL-TRANSMISSION-ID": "dfb3be50-fd74-11e4-8bf3-77339302725c"}), node_body, NN, "invalid",
   "the transmission ID is signed", PP_NODE_SRC, PP_NODE, node_certs)
evil = "https://api.sandbox.paypal.com.evil.example/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"
pp("paypal-official-node-cert-other-host", node_wid, dict(good, **{"PAYPAL-CERT-URL": evil}), node_body, NN, "invalid",
   "PAYPAL-CERT-URL on another host (that serves the right certificate): refused before any fetch", PP_NODE_SRC, PP_NODE,
   dict(node_certs, **{evil: node_certs[node_url]}))
pp("paypal-official-node-sha1", node_wid, dict(good, **{"PAYPAL-AUTH-ALGO": "SHA1withRSA"}), node_body, NN, "invalid", "PAYPAL-AUTH-ALGO other than SHA256withRSA",
   PP_NODE_SRC, PP_NODE, node_certs)

java_body = '{"id":"WH-2MW4820926242972J-6SG447389E205703U","event_version":"1.0","create_time":"2017-03-30T20:04:05.613Z","resource_type":"plan","event_type":"BILLING.PLAN.CREATED","summary":"A billing plan was created","resource":{"merchant_preferences":{"setup_fee":{"currency":"USD","value":"1"},"return_url":"https://www.mta.org/wp-content/plugins/AMS/api/Paypal/paypal/rest-api-sdk-php/sample/billing/ExecuteAgreement.php?success=true","cancel_url":"https://www.mta.org/wp-content/plugins/AMS/api/Paypal/paypal/rest-api-sdk-php/sample/billing/ExecuteAgreement.php?success=false","auto_bill_amount":"YES","initial_fail_amount_action":"CONTINUE","max_fail_attempts":"0"},"update_time":"2017-03-30T20:04:05.587Z","create_time":"2017-03-30T20:04:05.587Z","name":"T-Shirt of the Month Club Plan","description":"Template creation.","links":[{"href":"api.sandbox.paypal.com/v1/payments/billing-plans/P-2U911356NH683973BEDIWKUY","rel":"self","method":"GET"}],"payment_definitions":[{"name":"Regular Payments","type":"REGULAR","frequency":"Month","frequency_interval":"2","amount":{"currency":"USD","value":"100"},"cycles":"12","charge_models":[{"type":"SHIPPING","amount":{"currency":"USD","value":"10"},"id":"CHM-6H655806YS685182XEDIWKUY"}],"id":"PD-5N450756VM995270VEDIWKUY"}],"id":"P-2U911356NH683973BEDIWKUY","state":"CREATED","type":"FIXED"},"links":[{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2MW4820926242972J-6SG447389E205703U","rel":"self","method":"GET"},{"href":"https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2MW4820926242972J-6SG447389E205703U/resend","rel":"resend","method":"POST"}]}'
java_sig = "aBjgm5/xljRYu3G64Q0axISrP2xcy7WbW1u4UTCKnQvyprOZ1a1BBmqn2Jdr6ce8E76I3Ti/AL9y4VYSHyGSEaoE6dVQcCDebLbOXLH0fjTAbTc1/rmfdWmsk0DPltW84Y8W8jOHe3CLWDOwg5zmozyt+AceG2x5eOiw7mLSycaEoj/5RG+dOIWXnmWcLEArbG3VFshy0wuhZrKuGa9C/bD4Ku+Y9gK7Bv5I5IuGRVnTGpcFnVG0KxOyJxccLGyBVCIUMY5IZS7LkmJszQ3HZZFDTNihvgJHECSLwLhzUaysIye5G6CbbLdtAmeeb6wiDciEAvr2dFf+SplOR4Lrng=="
java_tid, java_ts, java_wid = "071f7d20-1584-11e7-abf0-6b62a8a99ac4", "2017-03-30T20:04:05Z", "96605875FF6516633"
java_test_url = "https://api.sandbox.paypal.com/v1/notifications/test"
java_url = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-java-sdk-testClientCert"
java_pem = pem("paypal-java-sdk-testClientCert.pem")
java_certs = {java_url: java_pem, java_test_url: java_pem}
JN = unix(java_ts) + 5
pp("paypal-official-java", java_wid, pp_headers(java_tid, java_ts, java_sig, java_url), java_body, JN, "valid",
   "the SDK's signed BILLING.PLAN.CREATED, its certificate served under /v1/notifications/certs/ (PAYPAL-CERT-URL is not signed)", PP_JAVA_SRC,
   PP_JAVA + " (PAYPAL-CERT-URL moved from the stubbed /v1/notifications/test)", java_certs)
pp("paypal-official-java-test-url", java_wid, pp_headers(java_tid, java_ts, java_sig, java_test_url), java_body, JN, "invalid",
   "the SDK test's stubbed PAYPAL-CERT-URL, /v1/notifications/test: not a certificate path, refused before any fetch", PP_JAVA_SRC, PP_JAVA, java_certs)
pp("paypal-official-java-invalid-webhook-id", "NotToBeFound", pp_headers(java_tid, java_ts, java_sig, java_url), java_body, JN, "invalid",
   "testInvalidWebhookId: webhook ID NotToBeFound", PP_JAVA_SRC, PP_JAVA, java_certs)

# Recomputed with the test key, on an api-m host.
TEST_PP_URL = "https://api-m.paypal.com/v1/notifications/certs/CERT-hookgate-test"
body = '{"id":"WH-58D329510W468432D-8HN650336L201105X","event_version":"1.0","create_time":"2023-11-14T22:13:19.123Z","resource_type":"capture","resource_version":"2.0","event_type":"PAYMENT.CAPTURE.COMPLETED","summary":"Payment completed for $ 3.00 USD","resource":{"id":"42311647XV020574X","status":"COMPLETED","amount":{"currency_code":"USD","value":"3.00"}}}'
tid, ts, wid = "7a8f2c40-8339-11ee-9f6b-cb5a9e0b3d21", "2023-11-14T22:13:20Z", "1JE4291016473214C"
sig = rsa_sign(f"{tid}|{ts}|{wid}|{zlib.crc32(body.encode())}")
hdr = pp_headers(tid, ts, sig, TEST_PP_URL)
assert zlib.crc32(body.encode()) >= 2**31
pp("paypal-api-m", wid, hdr, body, unix(ts) + 3, "valid", "a capture event, certificate on api-m.paypal.com, its CRC32 (3899568822) over 2^31 written unsigned",
   PP_SRC, RECOMP, {TEST_PP_URL: TEST_CERT})
pp("paypal-rotation", ["2AB12345CD6789012", wid], hdr, body, unix(ts) + 3, "valid", "the second of two webhook IDs (a webhook re-created)", PP_SRC, RECOMP,
   {TEST_PP_URL: TEST_CERT})
pp("paypal-signed-crc-signed", wid, pp_headers(tid, ts, rsa_sign(f"{tid}|{ts}|{wid}|{zlib.crc32(body.encode()) - 2**32}"), TEST_PP_URL), body, unix(ts) + 3, "invalid",
   "the CRC32 printed as a signed 32-bit number: PayPal's is unsigned", PP_SRC, RECOMP, {TEST_PP_URL: TEST_CERT})

print(json.dumps(V, indent=2))
