// Package config loads and validates posagent's YAML configuration and the identity file that
// `posagent provision` writes next to it.
//
// Parsing is strict: an unknown key is an error that names the key and its line, because a typo in a
// technician's config ("prnter:") must not silently leave the printer unconfigured. Validate collects
// every problem at once, each naming the key, what is wrong and what is expected.
package config
