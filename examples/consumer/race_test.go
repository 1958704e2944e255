//go:build race

package main

// Under -race the consumer is built with the race detector too.
func init() { consumerBuildFlags = append(consumerBuildFlags, "-race") }
