// Package asyncapi describes what a configured gateway publishes on NATS as
// an AsyncAPI 3.0 document (`hookgate asyncapi`): a channel for each
// provider's subject, each copying route's subject and each provider's
// stale subject (ordering.stale: forward); a send operation for each
// channel; and for each kind of message its headers and its payload as
// JSON schemas, shaped by the provider's envelope. Consumers generate
// clients and documentation from it.
//
// The document says only what the gateway knows from its config and
// catalogue: event types are named where the catalogue lists them (it
// lists none so far, and the document says so), never invented.
//
// asyncapi reads a validated config and does no I/O. A Document is a plain
// value: build it with New, print it with JSON or YAML.
package asyncapi

import (
	"bytes"
	"encoding/json"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/hookgate/hookgate/bussig"
	"github.com/hookgate/hookgate/config"
)

// Version is the AsyncAPI version of the documents New builds.
const Version = "3.0.0"

// Options are what the document says that the config does not hold.
type Options struct {
	// Version is the document's info.version: the gateway's version
	// (default "dev").
	Version string
}

// Document is an AsyncAPI 3.0 document: the part of the specification
// hookgate writes. Its fields marshal to the specification's names.
type Document struct {
	AsyncAPI   string                `json:"asyncapi"`
	Info       Info                  `json:"info"`
	Servers    map[string]*Server    `json:"servers,omitempty"`
	Channels   map[string]*Channel   `json:"channels"`
	Operations map[string]*Operation `json:"operations"`
	Components Components            `json:"components"`
}

// Info is the document's title, version and description.
type Info struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
}

// Server is a NATS server consumers connect to.
type Server struct {
	Host        string                     `json:"host"`
	Protocol    string                     `json:"protocol"`
	Description string                     `json:"description,omitempty"`
	Variables   map[string]*ServerVariable `json:"variables,omitempty"`
}

// ServerVariable is a part of a server's host that the config leaves open.
type ServerVariable struct {
	Default     string `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
}

// Channel is a NATS subject, or a family of subjects: its address holds
// {parameters} where the subject varies per event.
type Channel struct {
	Address     string                `json:"address"`
	Title       string                `json:"title,omitempty"`
	Description string                `json:"description,omitempty"`
	Messages    map[string]Ref        `json:"messages"`
	Parameters  map[string]*Parameter `json:"parameters,omitempty"`
}

// Parameter is a {name} of a channel's address.
type Parameter struct {
	Description string   `json:"description,omitempty"`
	Enum        []string `json:"enum,omitempty"`
	Location    string   `json:"location,omitempty"`
}

// Operation is what the gateway does on a channel: it sends.
type Operation struct {
	Action   string `json:"action"`
	Channel  Ref    `json:"channel"`
	Title    string `json:"title,omitempty"`
	Summary  string `json:"summary,omitempty"`
	Messages []Ref  `json:"messages"`
}

// Ref is a Reference Object: a JSON pointer into the document.
type Ref struct {
	Ref string `json:"$ref"`
}

// Components holds the messages the channels refer to.
type Components struct {
	Messages map[string]*Message `json:"messages"`
}

// Message is one kind of message: its headers and payload as schemas.
type Message struct {
	Name        string  `json:"name"`
	Title       string  `json:"title,omitempty"`
	Summary     string  `json:"summary,omitempty"`
	Description string  `json:"description,omitempty"`
	ContentType string  `json:"contentType,omitempty"`
	Headers     *Schema `json:"headers"`
	Payload     *Schema `json:"payload"`
}

// Schema is a JSON schema (draft 7, as AsyncAPI's Schema Object extends
// it): the keywords hookgate uses.
type Schema struct {
	Title                string             `json:"title,omitempty"`
	Type                 string             `json:"type,omitempty"`
	Description          string             `json:"description,omitempty"`
	Const                string             `json:"const,omitempty"`
	Format               string             `json:"format,omitempty"`
	Pattern              string             `json:"pattern,omitempty"`
	ContentEncoding      string             `json:"contentEncoding,omitempty"`
	Properties           map[string]*Schema `json:"properties,omitempty"`
	Required             []string           `json:"required,omitempty"`
	AdditionalProperties *bool              `json:"additionalProperties,omitempty"`
}

// New describes what the gateway configured by cfg publishes. cfg must be
// validated (config.Load, or Read then Validate): New reads the defaults
// validation fills in.
func New(cfg *config.Config, o Options) *Document {
	if o.Version == "" {
		o.Version = "dev"
	}
	d := &Document{
		AsyncAPI:   Version,
		Info:       Info{Title: "hookgate", Version: o.Version, Description: description(cfg)},
		Servers:    servers(cfg),
		Channels:   map[string]*Channel{},
		Operations: map[string]*Operation{},
		Components: Components{Messages: map[string]*Message{}},
	}
	for i := range cfg.Providers {
		p := &cfg.Providers[i]
		d.addProvider(p)
		if p.Ordering.StaleForward() {
			d.addStale(p)
		}
	}
	for i := range cfg.Routes {
		if r := &cfg.Routes[i]; !r.Drop() {
			d.addRoute(r, cfg.Providers)
		}
	}
	if cfg.NATS.Sign.KeyFile != "" {
		// nats.sign: every message is signed.
		for _, m := range d.Components.Messages {
			m.Headers.require(bussig.Header)
		}
	}
	return d
}

// JSON returns the document as indented JSON.
func (d *Document) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	return b.Bytes(), nil
}

// YAML returns the document as YAML, with the same content and order as
// JSON.
func (d *Document) YAML() ([]byte, error) {
	j, err := d.JSON()
	if err != nil {
		return nil, err
	}
	// JSON is YAML: decoding it keeps the members' order, and clearing the
	// styles turns its flow collections and quoted strings into block
	// YAML (a string that would read as another type stays quoted).
	var n yaml.Node
	if err := yaml.Unmarshal(j, &n); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	blockStyle(&n)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("asyncapi: %w", err)
	}
	return b.Bytes(), nil
}

// blockStyle clears the style of n and every node under it.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}
