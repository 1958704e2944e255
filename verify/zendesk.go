package verify

func init() {
	register(stampMAC{
		name:      "zendesk",
		sigHeader: "X-Zendesk-Webhook-Signature", tsHeader: "X-Zendesk-Webhook-Signature-Timestamp", enc: encBase64,
		// The timestamp is signed, but Zendesk documents neither its
		// format nor a window: it is taken as sent and not checked for
		// freshness. Bodies are whatever the webhook's template makes
		// (possibly not JSON), so no JSON field is read by default.
		unit: stampOpaque,
		desc: "Zendesk: X-Zendesk-Webhook-Signature <base64> HMAC-SHA256 over {X-Zendesk-Webhook-Signature-Timestamp}{body}, signing secret raw; no window",
	}.preset())
}
