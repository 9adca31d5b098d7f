/**
 * TEST-ONLY crash points. The crash-safety suite (test/reliability/crash.test.ts) SIGKILLs a real
 * `mfawatch run` at stages it cannot reach from outside with a real pause. The CLI reads
 * MFAWATCH_TEST_CRASH_POINT once, at its edge (src/cli/main.ts), and hands the hook down; nothing
 * else reads it. Unset (always, in production) the hook is absent and costs nothing.
 *
 * | point            | where the process dies                                                        |
 * |------------------|-------------------------------------------------------------------------------|
 * | mid-commit       | inside the scan's commit transaction, after every write, before COMMIT          |
 * | after-commit     | after every scan committed, before the dispatcher delivers anything              |
 * | after-send       | a notifier accepted a batch, before the outbox row is marked sent (duplicate window) |
 * | mid-event-commit | inside an event batch's commit (dedupe, facts, hints, cursor), before COMMIT: received, not committed, not acknowledged |
 *
 * Responders add `mid-kill` the same way (a kill sent, its result not yet recorded).
 */
export type CrashPoint = 'mid-commit' | 'after-commit' | 'after-send' | 'mid-kill' | 'mid-event-commit';

const POINTS: readonly CrashPoint[] = ['mid-commit', 'after-commit', 'after-send', 'mid-kill', 'mid-event-commit'];

/** The hook for the named point: SIGKILLs this process when that point is reached. */
export function crashHookFor(name: string | undefined): ((at: CrashPoint) => void) | undefined {
  if (!name || !POINTS.includes(name as CrashPoint)) return undefined;
  return (at) => {
    if (at === name) process.kill(process.pid, 'SIGKILL');
  };
}
