package verify

func init() {
	register(stampMAC{
		name:      "zendesk",
		sigHeader: "X-Zendesk-Webhook-Signature", tsHeader: "X-Zendesk-Webhook-Signature-Timestamp", enc: encBase64,
		// The timestamp is signed right before the body, with no
		// separator, so it must parse as what Zendesk sends (RFC 3339,
		// 2021-07-25T10:00:00Z in its documentation): an RFC 3339 time
		// cannot be extended into another one, so where the timestamp
		// ends and the body starts is fixed. Taken as any text, the
		// boundary could move: timestamp 2026-12-05T07:56: with body
		// 32Z{...} signs what 2026-12-05T07:56:32Z with body {...} did.
		// Zendesk documents no window, so none is applied (tolerance 0).
		// Bodies are whatever the webhook's template makes (possibly not
		// JSON), so no JSON field is read by default.
		unit: stampRFC3339,
		desc: "Zendesk: X-Zendesk-Webhook-Signature <base64> HMAC-SHA256 over {X-Zendesk-Webhook-Signature-Timestamp}{body}, signing secret raw; " +
			"the timestamp must be RFC 3339; no window",
	}.preset())
}
