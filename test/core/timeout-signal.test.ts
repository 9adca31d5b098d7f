/**
 * timeoutSignal: a deadline that still fires after a garbage collection. The check runs in a
 * child process with --expose-gc, collecting every 20 ms while the deadline is pending: on
 * Node.js 20, `AbortSignal.any([AbortSignal.timeout(ms)])` fails exactly this (nodejs/node#57736).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { timeoutSignal } from '../../src/core/abort.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError after its time, like AbortSignal.timeout', async () => {
    const signal = timeoutSignal(30);
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('inside AbortSignal.any, still fires when garbage collection runs while it is pending', () => {
    const script = `
      import { timeoutSignal } from ${JSON.stringify(join(ROOT, 'src/core/abort.ts'))};
      const composite = AbortSignal.any([timeoutSignal(200)]);
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
