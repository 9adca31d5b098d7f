/**
 * The help text of mfawatch_events_received_total and the README's /metrics list name every
 * `result` the code emits: each IgnoredEvent reason (ignored_<reason>), each refusal of a pushed
 * request, and the runner's own results.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/observability/metrics.js';

const REASONS = ['unknown_scope', 'malformed', 'foreign', 'irrelevant'];
const RESULTS = ['accepted', 'duplicate', 'unauthorized', 'unsupported_media_type', 'bad_request', 'poll_failed', 'source_off', 'verified', 'verify_failed'];

describe('mfawatch_events_received_total', () => {
  it('its help text and the README list every result the code emits', async () => {
    const text = await new Metrics().registry.metrics();
    const help = text.split('\n').find((l) => l.startsWith('# HELP mfawatch_events_received_total')) ?? '';
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    // The /metrics list (the line naming the results), not the earlier mention in "Events".
    const from = readme.indexOf('`mfawatch_events_received_total{monitor,source,result}` (');
    const inReadme = readme.slice(from, readme.indexOf('`mfawatch_detection_lag_seconds{monitor,source}`', from));
    expect(from).toBeGreaterThan(0);
    for (const where of [help, inReadme]) {
      expect(where).toContain('ignored_<reason>');
      for (const word of [...REASONS, ...RESULTS]) expect(where).toMatch(new RegExp(`\\b${word}\\b`));
    }
  });

  it('the runner and the inbound receiver emit no result outside that list', () => {
    const runner = readFileSync(new URL('../../src/events/runner.ts', import.meta.url), 'utf8');
    const inbound = readFileSync(new URL('../../src/events/inbound.ts', import.meta.url), 'utf8');
    const emitted = new Set<string>();
    for (const m of runner.matchAll(/result: '([a-z_]+)'/g)) emitted.add(m[1]!);
    for (const m of runner.matchAll(/results\.push\('([a-z_]+)'\)/g)) emitted.add(m[1]!);
    for (const m of inbound.matchAll(/refused?\([^'\n]*'([a-z_]+)'/g)) emitted.add(m[1]!);
    expect(emitted.size).toBeGreaterThan(5);
    for (const r of emitted) expect([...RESULTS, ...REASONS.map((x) => `ignored_${x}`)]).toContain(r);
  });
});
