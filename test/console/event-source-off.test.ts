/**
 * The Overview's event-sources table says plainly when a source is off (the provider refuses it
 * for good, EventBatch.disabled): the `off` badge, why, since when and what to do, as text. The
 * state is made by the real EventRunner on the harness's store.
 */
import { afterEach, expect, it } from 'vitest';
import { escapeHtml } from '../../src/console/html.js';
import { EventRunner } from '../../src/events/runner.js';
import { get, signIn, startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

it('an event source that is off shows the off badge, the reason, since when and what to do, escaped', async () => {
  h = await startHarness({ monitor: { events: { probe: '60s' } } });
  const runner = new EventRunner(h.app);
  const instance = h.app.monitors.find((m) => m.config.id === 'gh-acme')!;
  const off = { reason: 'the plan does not include <b>audit logs</b>', hint: 'upgrade the plan & restart mfawatch' };
  runner.ingest(instance, 'probe', { events: [], ignored: [], disabled: off }, { poll: true });
  const res = await get(h, '/', await signIn(h, 'viewer'));
  const row = /<tr><td>gh-acme<\/td><td>probe<\/td>[\s\S]*?<\/tr>/.exec(res.body)?.[0] ?? '';
  expect(row).toContain('class="badge off">off</span>');
  expect(row).toContain(`off since <time datetime="${h.clock.now().toISOString()}">`);
  expect(row).toContain(`: ${escapeHtml(off.reason)}</div>`);
  expect(row).toContain(`what to do: ${escapeHtml(off.hint)}`);
  expect(res.body).not.toContain('<b>audit logs</b>');
});
