package verify

import "testing"

func FuzzVerifyShopify(f *testing.F) {
	fuzzVerify(f, "shopify", "shopify", Options{}, "X-Shopify-Hmac-Sha256", "Shopify-Hmac-Sha256")
}

func FuzzVerifyIntercom(f *testing.F) {
	fuzzVerify(f, "intercom", "intercom", Options{}, "X-Hub-Signature")
}

func FuzzVerifyTypeform(f *testing.F) {
	fuzzVerify(f, "typeform", "typeform", Options{}, "Typeform-Signature")
}

func FuzzVerifySentry(f *testing.F) {
	fuzzVerify(f, "sentry", "sentry", Options{}, "Sentry-Hook-Signature")
}

func FuzzVerifyBitbucket(f *testing.F) {
	fuzzVerify(f, "bitbucket", "bitbucket", Options{}, "X-Hub-Signature")
}

func FuzzVerifyCoinbaseCommerce(f *testing.F) {
	fuzzVerify(f, "coinbase-commerce", "coinbase-commerce", Options{}, "X-CC-Webhook-Signature")
}

func FuzzVerifyLemonSqueezy(f *testing.F) {
	fuzzVerify(f, "lemonsqueezy", "lemonsqueezy", Options{}, "X-Signature")
}

func FuzzVerifyAirtable(f *testing.F) { fuzzVerifyMore(f, "airtable", "X-Airtable-Content-MAC") }

func FuzzVerifyAlchemy(f *testing.F) { fuzzVerifyMore(f, "alchemy", "X-Alchemy-Signature") }

func FuzzVerifyCalcom(f *testing.F) { fuzzVerifyMore(f, "calcom", "X-Cal-Signature-256") }

func FuzzVerifyCheckoutcom(f *testing.F) { fuzzVerifyMore(f, "checkoutcom", "Cko-Signature") }

func FuzzVerifyDropbox(f *testing.F) { fuzzVerifyMore(f, "dropbox", "X-Dropbox-Signature") }

func FuzzVerifyForgejo(f *testing.F) {
	fuzzVerifyMore(f, "forgejo", "X-Forgejo-Signature", "X-Gitea-Signature")
}

func FuzzVerifyGitea(f *testing.F) { fuzzVerifyMore(f, "gitea", "X-Gitea-Signature") }

func FuzzVerifyGoCardless(f *testing.F) { fuzzVerifyMore(f, "gocardless", "Webhook-Signature") }

func FuzzVerifyIntuit(f *testing.F) { fuzzVerifyMore(f, "intuit", "Intuit-Signature") }

func FuzzVerifyNylas(f *testing.F) { fuzzVerifyMore(f, "nylas", "X-Nylas-Signature") }

func FuzzVerifyRazorpay(f *testing.F) { fuzzVerifyMore(f, "razorpay", "X-Razorpay-Signature") }

func FuzzVerifyTwitter(f *testing.F) { fuzzVerifyMore(f, "twitter", "X-Twitter-Webhooks-Signature") }

func FuzzVerifyVercel(f *testing.F) { fuzzVerifyMore(f, "vercel", "X-Vercel-Signature") }

func FuzzVerifyXero(f *testing.F) { fuzzVerifyMore(f, "xero", "X-Xero-Signature") }

func FuzzVerifyDocuSign(f *testing.F) {
	fuzzVerifyMore(f, "docusign", "X-DocuSign-Signature-1", "X-DocuSign-Signature-2")
}
