/**
 * Runs one process and measures it: wall time, CPU time (user + system) and peak resident memory,
 * read by GNU time from the kernel's rusage of the child, so the fake's work in the bench process
 * is not counted. The CPU the bench process (the fake) spent meanwhile is measured separately.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

export interface Measurement {
  wallMs: number;
  /** User + system CPU of the child. */
  cpuMs: number;
  /** Peak resident set size of the child (ru_maxrss). */
  peakRssMb: number;
  /** CPU the bench process itself (the provider fake) used while the child ran. */
  fakeCpuMs: number;
  exitCode: number;
  stdoutBytes: number;
  stdout: string;
  stderr: string;
}

/** Throws with what to install when GNU time is missing. */
export function checkGnuTime(): void {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} (GNU time) is needed to measure CPU time and peak memory of each run; install it (apt-get install time)`);
}

/** Runs `command args` under GNU time; `keepStdout` bytes of stdout are kept (the rest only counted). */
export async function measureProcess(command: string, args: string[], options: { env: NodeJS.ProcessEnv; workDir: string; keepStdout?: number }): Promise<Measurement> {
  const timeFile = join(options.workDir, 'time.out');
  rmSync(timeFile, { force: true });
  const keep = options.keepStdout ?? 4096;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const child = spawn(GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, command, ...args], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stdoutBytes = 0;
  const stderrChunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => {
    stdoutBytes += c.length;
    if (stdout.length < keep) stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => stderrChunks.push(c));
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const stderr = Buffer.concat(stderrChunks).toString('utf8');
  // GNU time writes "Command exited with non-zero status N" before the figures when it fails.
  const figures = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
  const [user, sys, maxRssKb] = figures.split(' ').map(Number);
  if (user === undefined || sys === undefined || maxRssKb === undefined || [user, sys, maxRssKb].some((n) => !Number.isFinite(n))) {
    throw new Error(`could not read GNU time's figures ("${figures}")`);
  }
  return {
    wallMs,
    cpuMs: (user + sys) * 1000,
    peakRssMb: maxRssKb / 1024,
    fakeCpuMs: (cpu.user + cpu.system) / 1000,
    exitCode,
    stdoutBytes,
    stdout,
    stderr,
  };
}
