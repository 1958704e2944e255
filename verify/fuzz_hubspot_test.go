package verify

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzHubSpotDecodeURI checks the decoding against a replacer of the
// escapes HubSpot lists, in both cases of hex digit.
func FuzzHubSpotDecodeURI(f *testing.F) {
	for _, s := range []string{"", "%", "%3", "%3A", "%3a", "%%3A3A", "%2f%2F%3F%40%21%24%27%28%29%2A%2C%3B", "%20%26%3D", "https://h/p?e=a%40b&x=%zz%3a"} {
		f.Add(s)
	}
	var pairs []string
	for _, c := range ":/?@!$'()*,;" {
		hex := fmt.Sprintf("%02X", c)
		pairs = append(pairs, "%"+hex, string(c))
		if lower := strings.ToLower(hex); lower != hex {
			pairs = append(pairs, "%"+lower, string(c))
		}
	}
	ref := strings.NewReplacer(pairs...)
	f.Fuzz(func(t *testing.T, u string) {
		if got, want := hubspotDecodeURI(u), ref.Replace(u); got != want {
			t.Errorf("hubspotDecodeURI(%q) = %q; want %q", u, got, want)
		}
	})
}

func FuzzVerifyHubSpotV3(f *testing.F) {
	fuzzVerifyURL(f, "hubspot-v3", "hubspot-v3", Options{}, "X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp")
}

func FuzzVerifyHubSpotV2(f *testing.F) {
	fuzzVerifyURL(f, "hubspot-v2", "hubspot-v2", Options{}, "X-HubSpot-Signature", "X-HubSpot-Signature-Version")
}

func FuzzVerifyHubSpotV1(f *testing.F) {
	fuzzVerify(f, "hubspot-v1", "hubspot-v1", Options{}, "X-HubSpot-Signature", "X-HubSpot-Signature-Version")
}
