/**
 * Deadlines that still fire after a garbage collection. The checks run in a child process with
 * --expose-gc, collecting every 20 ms while the deadline is pending: on Node.js 20,
 * `AbortSignal.any([AbortSignal.timeout(ms)])` that nothing else holds fails exactly this
 * (nodejs/node#57736), even when the combined signal is handed to fetch; timeoutSignal and
 * fetchWithTimeout do not.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchWithTimeout, timeoutSignal } from '../../src/core/abort.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** Runs `body` (which sets `fired` and `reason`) in a child that collects garbage every 20 ms. */
function underGc(body: string): { fired: boolean; reason?: string } {
  const script = `
    import http from 'node:http';
    import { fetchWithTimeout, timeoutSignal } from ${JSON.stringify(join(ROOT, 'src/core/abort.ts'))};
    let fired = false;
    let reason;
    ${body}
    const collect = setInterval(() => globalThis.gc(), 20);
    setTimeout(() => { clearInterval(collect); console.log(JSON.stringify({ fired, reason })); }, 900);
  `;
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  expect(child.status, child.stderr).toBe(0);
  return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '{}') as { fired: boolean; reason?: string };
}

describe('fetchWithTimeout', () => {
  it('times out a server that never answers, or never finishes the body; the caller\'s signal aborts it too', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('[1,');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await expect(fetchWithTimeout(fetch, `${url}/hang`, undefined, 100)).rejects.toMatchObject({ name: 'TimeoutError' });
      const res = await fetchWithTimeout(fetch, `${url}/body`, undefined, 150);
      await expect(res.text()).rejects.toMatchObject({ name: 'TimeoutError' });
      const stop = new AbortController();
      const pending = fetchWithTimeout(fetch, `${url}/hang`, undefined, 60_000, [undefined, stop.signal]);
      stop.abort(new Error('shutting down'));
      await expect(pending).rejects.toThrow('shutting down');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('timeoutSignal', () => {
  it('aborts with a TimeoutError after its time, like AbortSignal.timeout', async () => {
    const signal = timeoutSignal(30);
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect((signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('inside AbortSignal.any, still fires when garbage collection runs while it is pending', () => {
    expect(underGc(`
      const composite = AbortSignal.any([timeoutSignal(200), new AbortController().signal]);
      composite.addEventListener('abort', () => { fired = true; reason = composite.reason?.name; });
    `)).toEqual({ fired: true, reason: 'TimeoutError' });
  });

  it('fetchWithTimeout: a request to a server that never answers times out under garbage collection', () => {
    expect(underGc(`
      const server = http.createServer(() => undefined).listen(0, '127.0.0.1', () => {
        const url = 'http://127.0.0.1:' + server.address().port + '/';
        fetchWithTimeout(fetch, url, undefined, 200, [new AbortController().signal, undefined])
          .catch((e) => { fired = true; reason = e.name; })
          .finally(() => { server.closeAllConnections(); server.close(); });
      });
    `)).toEqual({ fired: true, reason: 'TimeoutError' });
  });
});
