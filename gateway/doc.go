// Package gateway is hookgate's HTTP edge, and for now the wiring of the
// running gateway: it reads the config, opens the store (package store),
// starts NATS (embedded or connected) and the relay, and runs the pipeline
// README.md describes for each request: receive with a body cap, verify,
// identify, hand the event to a Decider (the store's group commit),
// respond, and let the relay forward. It is the only package that maps
// errors to status codes (classify, in errors.go).
package gateway
