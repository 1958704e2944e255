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

func FuzzVerifyCalendly(f *testing.F) {
	fuzzVerify(f, "calendly", "calendly", Options{}, "Calendly-Webhook-Signature")
}
