// Package difftest holds the differential tests of fbctl's AWS emulators:
// the same sequence of calls, made with the real aws-sdk-go-v2 clients, runs
// against internal/sim (route53sim and elbv2sim) and against moto_server
// (moto 5.2.1, an independent AWS emulator that the tests start
// themselves), and what the SDK sees on each side is compared: record
// sets, weights, list pages, listener actions and rules, and the error
// code of every invalid request.
//
// Every difference the tests know of is listed in a table with its reason,
// and asserted both ways, so that a change on either side is noticed:
//
//   - strict: internal/sim refuses what moto accepts, and the AWS
//     documentation (API Reference, Developer Guide, or an AWS answer
//     quoted in a public issue) backs internal/sim;
//   - moto: moto answers otherwise than AWS documents (a moto quirk).
//
// Any other difference fails the test. The package has no non-test code.
package difftest
