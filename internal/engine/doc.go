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
// Safety invariants this package upholds, for every command (reconcile,
// shift, abort, resume), proven over a bounded domain by model_test.go:
//   - one health gate for every move (Decide): raising any target's share
//     needs the primary healthy on fresh evidence, lowering it a secondary
//     that is not unhealthy; only a person's --force bypasses it, recorded;
//   - steps are shares: a rollout raise goes at most to the next step of
//     the current policy above each target's share;
//   - a hold (pause, manual shift, abort and its cooldown, halt) is lifted
//     only by resume; the commands that set one record it in their intent
//     before their first write, so a crash cannot lose it;
//   - a run that dies mid-change leaves an intent that the next run
//     finishes or reverts through the same gate, or holds for a person;
//   - a failing check whose evidence was stale is probed again until it has
//     a verdict (up to unhealthy_threshold probes), so staleness never
//     hides a failing side;
//   - it reports only shares read back from the targets, and a target that
//     cannot be read stops the run before any write.
package engine
