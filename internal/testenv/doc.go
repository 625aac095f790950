// Package testenv starts real servers on loopback for fbctl's tests: HAProxy
// with its runtime API, and small HTTP backends that count the requests they
// serve.
//
// Every server listens on 127.0.0.1 on a free port, lives in the test's
// temporary directory and is stopped by t.Cleanup. A server binary that is
// missing is a test failure that says to run `make deps`, never a skip: in
// CI a missing server must not turn a suite green.
//
// Waiting is always bounded and driven by a condition (the server answers),
// never by a fixed sleep.
package testenv
