package gateway

import (
	"fmt"

	"hookgate/verify"
)

// Provider returns the named provider of c.
func (c *Config) Provider(name string) (*ProviderConfig, error) {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i], nil
		}
	}
	return nil, fmt.Errorf("%w: no provider named %q", ErrConfig, name)
}

// CredentialHeaders lists the request headers of pc's requests that carry
// a credential: the quarantine keeps them as "[redacted]", and `hookgate
// send` prints them so (package sender).
func (pc *ProviderConfig) CredentialHeaders() []string {
	preset, _ := verify.Lookup(pc.Type)
	return credentialHeaders(preset, pc.Options.Header)
}
