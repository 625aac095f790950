// Package health holds fbctl's generic check kinds (http, tcp, dns,
// prometheus) and, with the engine work, the evidence window that turns
// probe results into "healthy since".
//
// So far it declares the kinds' schemas with [Register]; probing is attached
// to the same registrations later.
package health
