/** `mfawatch demo --console`: the demo's data in the web console, reached by the printed one-time link. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { memoryLogger } from '../helpers.js';

describe('mfawatch demo --console', () => {
  it('serves the console over the demo data and prints a link that signs in', async () => {
    let out = '';
    const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
    const stderr = new Writable({ write: (_c, _e, cb) => cb() });
    let stop: () => void = () => undefined;
    const stopSignal = new Promise<void>((r) => (stop = r));
    const running = main(['node', 'mfawatch', 'demo', '--console'], { stdout, stderr, env: {}, overrides: { logger: memoryLogger().logger }, stopSignal });
    try {
      let link: RegExpExecArray | null = null;
      for (let i = 0; i < 600 && !link; i++) {
        link = /(http:\/\/127\.0\.0\.1:\d+)\/link\?token=([\w-]+)/.exec(out);
        if (!link) await new Promise((r) => setTimeout(r, 50));
      }
      expect(link, out).not.toBeNull();
      const [, base, token] = link as RegExpExecArray;
      const signIn = await fetch(`${base}/link`, { method: 'POST', redirect: 'manual', headers: { origin: base as string, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: token as string }) });
      expect(signIn.status).toBe(303);
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const overview = await (await fetch(`${base}/`, { headers: { cookie } })).text();
      expect(overview).toContain('github-acme');
      expect(overview).toContain('<span class="badge">responder</span>');
    } finally {
      stop();
    }
    expect(await running).toBe(0);
    expect(out).toContain('demo: every change was detected');
  });
});
