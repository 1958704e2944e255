package verify_test

import (
	"strings"
	"testing"
)

// BenchmarkVerify measures one verification of a 1.5 KB body per preset,
// with two secrets configured and the first matching.
func BenchmarkVerify(b *testing.B) {
	body := `{"id":"evt_1","type":"customer.created","data":{"object":{"note":"` + strings.Repeat("x", 1536-64) + `"}}}`
	for _, c := range presetCases {
		body := body
		if c.body != "" {
			body = c.body
		}
		b.Run(c.name, func(b *testing.B) {
			v := c.mustNew(b, 0, c.secrets[0], c.secrets[1])
			r := c.mustSign(b, c.secrets[0], body, now)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(r, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
