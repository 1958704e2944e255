// Package gateway is hookgate's HTTP edge and wiring: it reads the config,
// owns the SQLite file, starts NATS (embedded or connected), and runs the
// pipeline README.md describes for each request: receive with a body cap, verify,
// identify, decide in one group-committed transaction, respond, and let the
// relay forward. It is the only package that maps errors to status codes
// (statusOf).
package gateway
