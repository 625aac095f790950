// Package testenv starts real servers on loopback for fbctl's tests: HAProxy
// with its runtime API, BIND 9 (named) serving zones that accept
// TSIG-signed dynamic updates and transfers, Prometheus scraping given
// targets (and promtool for rule files), and small HTTP backends that
// count the requests they serve.
//
// Every server listens on 127.0.0.1 on a free port, lives in the test's
// temporary directory and is stopped by t.Cleanup. A server binary that is
// missing is a test failure that says to run `make deps`, never a skip: in
// CI a missing server must not turn a suite green.
//
// Waiting is always bounded and driven by a condition (the server answers),
// never by a fixed sleep. A port found free can be taken before the server
// binds it; the server is then started again on another port.
//
// BIND (StartBIND) serves each zone as a primary with a random hmac-sha256
// TSIG key, `update-policy { grant KEY zonesub ANY; }`, `allow-transfer {
// key KEY; }` and no recursion, on one port for UDP and TCP. Its helpers
// read the zone the way a test should judge it, independently of the code
// under test: AXFR and Records (signed transfers), Query and Answers (real
// queries); Stop makes the server go away for "server down" cases.
//
// Prometheus (StartPrometheus) runs with its own configuration and TSDB in
// the test's directory, one job "fbctl" scraping the given targets at the
// given interval (1s by default); Query and WaitQuery ask its HTTP API,
// WaitQuery polling until a condition holds, within a bound.
package testenv
