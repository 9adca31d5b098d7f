/** `--since` (and `silence add --until`) take a duration from now or a date, everywhere. */
import { describe, expect, it } from 'vitest';
import { pointInTime, sinceArgument } from '../../src/cli/time-args.js';
import { UsageError } from '../../src/core/errors.js';
import { runCli } from '../helpers.js';

const now = new Date('2026-11-22T10:00:00.000Z');

describe('pointInTime', () => {
  const table: Array<[string, 'back' | 'forward', string]> = [
    ['7d', 'back', '2026-11-15T10:00:00.000Z'],
    ['30m', 'back', '2026-11-22T09:30:00.000Z'],
    ['2h', 'forward', '2026-11-22T12:00:00.000Z'],
    ['2026-11-01', 'back', '2026-11-01T00:00:00.000Z'],
    ['2026-11-01T09:00:00Z', 'back', '2026-11-01T09:00:00.000Z'],
    ['2026-11-01T09:00', 'back', '2026-11-01T09:00:00.000Z'], // no zone: UTC, never the machine's zone
    ['2026-11-01T09:00:00+02:00', 'back', '2026-11-01T07:00:00.000Z'],
  ];
  it.each(table)('%s (%s)', (text, direction, expected) => {
    expect(pointInTime('--since', text, now, direction).toISOString()).toBe(expected);
  });
  it('says what it takes when it is neither', () => {
    expect(() => sinceArgument('last tuesday', now)).toThrow(UsageError);
    expect(() => sinceArgument('2026-13-45', now)).toThrow(/neither a duration \(30m, 24h, 7d\) nor a date/);
  });
  it('every command with --since says so in its help', async () => {
    for (const cmd of [['events'], ['redeliver'], ['audit', 'export']]) {
      const help = await runCli([...cmd, '--help']);
      expect(help.stdout, cmd.join(' ')).toMatch(/--since <when>.*(duration|date)/);
    }
  });
});
