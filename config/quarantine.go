package config

// Quarantine keeps requests that fail verification, for inspection
// with `hookgate quarantine` and `hookgate verify`. Off by default.
type Quarantine struct {
	Enabled  bool  `yaml:"enabled"`
	MaxCount int   `yaml:"max_count"` // default 1000; the oldest go first
	MaxBytes int64 `yaml:"max_bytes"` // default 16 MiB of bodies
}
