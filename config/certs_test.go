package config

import (
	"strings"
	"testing"
)

// TestAutoConfirm: options.auto_confirm reaches the sns verifier's options
// (unset is nil: the preset's default, true), and any other type refuses it.
func TestAutoConfirm(t *testing.T) {
	c, err := readValidate(t, `
providers:
  - name: orders
    type: sns
    secrets: ["arn:aws:sns:us-east-1:123456789012:orders"]
    options: {auto_confirm: false}
  - name: billing
    type: amazon-sns
    secrets: ["arn:aws:sns:us-east-1:123456789012:*"]
`)
	if err != nil {
		t.Fatalf("Validate = %v", err)
	}
	o, err := c.Providers[0].VerifyOptions()
	if err != nil || o.AutoConfirm == nil || *o.AutoConfirm {
		t.Errorf("orders: AutoConfirm = %v, %v; want false", o.AutoConfirm, err)
	}
	if o, err := c.Providers[1].VerifyOptions(); err != nil || o.AutoConfirm != nil {
		t.Errorf("billing: AutoConfirm = %v, %v; want nil", o.AutoConfirm, err)
	}
	for _, bad := range []struct{ src, want string }{
		{"    type: stripe\n    secrets: [s]\n    options: {auto_confirm: true}\n", "stripe takes no option auto_confirm"},
		{"    type: sns\n    secrets: [\"arn:aws:sns:us-east-1:1234:orders\"]\n", "secrets[0]"},
		{"    type: paypal\n    secrets: [\"not a webhook id\"]\n", "secrets[0]"},
	} {
		_, err := readValidate(t, "providers:\n  - name: p\n"+bad.src)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("Validate(%q) = %v; want an error naming %q", bad.src, err, bad.want)
		}
	}
}
