// Package protocol reads and writes Kafka wire frames: the size-prefixed
// frame with a cap checked before any allocation, the request header
// (v0–v2, flexible or not), request bodies decoded with kmsg, responses
// encoded with the right response header, and the table of API versions
// minikafka serves. It knows nothing about the network or authentication.
//
// Every decode failure is a typed error (never a panic, never a nil request
// with a nil error) so the caller can decide between answering, logging and
// closing the connection.
package protocol
