/**
 * Shared test plumbing: temp folders, a pinned clock, a logger whose lines can be read back,
 * module deps, and a CLI runner that captures output.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import pino from 'pino';
import { main, type CliIo } from '../src/cli/main.js';
import type { Clock, Logger, ModuleDeps } from '../src/core/deps.js';

/** A temp folder removed by `cleanup()`. */
export function tempDir(prefix = 'mfawatch-test-'): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A clock that stays where it is put. */
export class PinnedClock implements Clock {
  #t: number;
  constructor(iso = '2026-11-22T10:00:00.000Z') {
    this.#t = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.#t);
  }
  advance(ms: number): void {
    this.#t += ms;
  }
  set(iso: string): void {
    this.#t = Date.parse(iso);
  }
}

/** A logger writing JSON lines into memory; `lines()` reads them back, `text()` all as one string. */
export function memoryLogger(level = 'debug'): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = pino({ level }, stream);
  const text = () => chunks.join('');
  return { logger, text, lines: () => text().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Module deps for a factory under test. */
export function testDeps(overrides: Partial<ModuleDeps> = {}): ModuleDeps & { logs: ReturnType<typeof memoryLogger> } {
  const logs = memoryLogger();
  return {
    fetch: globalThis.fetch,
    clock: new PinnedClock(),
    logger: logs.logger,
    sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
    stdout: new PassThrough(),
    displayTimezone: 'UTC',
    logs,
    ...overrides,
  };
}

/** Writes `config` as JSON into `dir` and returns its path. */
export function writeConfig(dir: string, config: unknown, name = 'mfawatch.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2), { mode: 0o600 });
  return path;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output. */
export async function runCli(args: string[], options: Partial<CliIo> = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (c: Buffer, _e, cb) => ((out += c.toString('utf8')), cb()) });
  const stderr = new Writable({ write: (c: Buffer, _e, cb) => ((err += c.toString('utf8')), cb()) });
  const logs = memoryLogger();
  const code = await main(['node', 'mfawatch', ...args], {
    stdout,
    stderr,
    env: options.env ?? {},
    overrides: { logger: logs.logger, ...options.overrides },
    stopSignal: options.stopSignal,
    ...(options.confirm !== undefined ? { confirm: options.confirm } : {}),
  });
  return { code, stdout: out, stderr: err + logs.text() };
}

/** The event lines (`mfawatch.event/v1`) the stdout notifier printed, parsed; other output is skipped. */
export function eventLines<T = Record<string, unknown>>(stdout: string): T[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{"schema":"mfawatch.event/v1"'))
    .map((l) => JSON.parse(l) as T);
}
