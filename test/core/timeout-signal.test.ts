/**
 * timeoutSignal and withTimeout: deadlines that still fire after a garbage collection. The check
 * runs in a child process with --expose-gc, collecting every 20 ms while the deadline is pending:
 * on Node.js 20, `AbortSignal.any([AbortSignal.timeout(ms)])` fails exactly this (nodejs/node#57736).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { timeoutSignal, withTimeout } from '../../src/core/abort.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError after its time, like AbortSignal.timeout; withTimeout also when another signal aborts', async () => {
    for (const signal of [timeoutSignal(30), withTimeout(30)]) {
      expect(signal.aborted).toBe(false);
      await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      expect((signal.reason as DOMException).name).toBe('TimeoutError');
    }
    const stop = new AbortController();
    const early = withTimeout(60_000, [undefined, stop.signal]);
    stop.abort(new Error('shutting down'));
    expect(early.aborted).toBe(true);
    expect((early.reason as Error).message).toBe('shutting down');
  });

  it.each([
    ['AbortSignal.any([timeoutSignal(200)])', 'AbortSignal.any([timeoutSignal(200)])'],
    ['withTimeout(200, [a signal that never aborts])', 'withTimeout(200, [new AbortController().signal])'],
  ])('%s still fires when garbage collection runs while it is pending', (_name, expression) => {
    const script = `
      import { timeoutSignal, withTimeout } from ${JSON.stringify(join(ROOT, 'src/core/abort.ts'))};
      const composite = ${expression};
      let fired = false;
      composite.addEventListener('abort', () => { fired = true; });
      const collect = setInterval(() => globalThis.gc(), 20);
      setTimeout(() => { clearInterval(collect); console.log(JSON.stringify({ fired, reason: composite.reason?.name })); }, 800);
    `;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(child.status, child.stderr).toBe(0);
    expect(JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}')).toEqual({ fired: true, reason: 'TimeoutError' });
  });
});
