// Package engine runs a failback: observe -> assess -> decide -> apply ->
// verify -> record.
//
// [Decide] is a pure function of the rollout, the stored state, what the
// targets report, the health of both sides and the time: no I/O and no
// clock reads, so every row of the decision table is a table test. The
// [Engine] does the rest in one place: it locks the failback, observes the
// targets, runs the checks and keeps their evidence, journals an intent
// before its first write, applies the decided share in declared order (the
// reverse order when the share goes down), puts back the targets it already
// changed when one fails, reads the share back, and records the outcome and
// an event.
//
// [Engine.ReconcileAll] runs many failbacks as one run, in two phases: first
// every failback is locked, observed, assessed and decided, and the intent
// of every writing failback is stored; then the writes, where a target that
// implements providers.Stager is staged rather than applied, one flush of
// the run (providers.FlushRun: one Route 53 change per hosted zone), and
// per failback the staged outcomes, handled exactly like Apply's (a failed
// batch is a failed write, compensated), the read-back and the record.
//
// Safety invariants this package upholds (and tests):
//   - it raises the primary's share only while every primary check is
//     healthy on fresh evidence (shift --force aside, recorded as forced);
//   - it never rolls back onto a secondary whose checks fail: it holds and
//     says so;
//   - it reports only shares read back from the targets;
//   - a run that dies mid-change leaves an intent that the next run finishes
//     or reverts according to health, never giving the primary more than
//     the evidence allows.
package engine
