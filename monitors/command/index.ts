/**
 * Command monitor: runs a configured program (no shell) and reads its accounts as JSON lines from
 * standard output, one account per line, each validated. The scan completes only when every line
 * was valid and the program exited 0 within its timeout; otherwise it fails and commits nothing.
 */
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { ModuleDeps } from '../../src/core/deps.js';
import { ProviderError } from '../../src/core/errors.js';
import { redactSecrets } from '../../src/core/secret.js';
import { MFA_STATES, type MfaState, type Observation } from '../../src/core/types.js';
import type { Monitor, MonitorModule, ScanContext, ScopeInfo } from '../types.js';
import { commandConfigSchema, type CommandConfig } from './config.js';

const PROVIDER = 'command';
const README = 'see monitors/command/README.md';
/** How much of the program's standard error is kept for the failure message. */
const STDERR_KEEP = 2_000;
/** Grace between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** One output line: an account. Unknown keys are refused, so a typo ("MFA", "admn") cannot pass silently. */
export const accountLine = z.strictObject({
  id: z.union([z.string().min(1), z.number().int()], { error: 'must be a non-empty string or an integer (the stable account id)' }).transform(String),
  login: z.string({ error: 'must be a string (the login name)' }).min(1, 'must not be empty'),
  email: z.email({ error: 'must be an e-mail address' }).nullish(),
  displayName: z.string().nullish(),
  admin: z.boolean({ error: 'must be true or false' }).default(false),
  mfa: z.enum(MFA_STATES as [MfaState, ...MfaState[]], { error: `must be one of ${MFA_STATES.join(', ')}` }),
  kind: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be lower_snake_case, e.g. "user" or "service_account"').default('user'),
  factors: z.array(z.string().min(1)).default([]),
  url: z.string().nullish(),
});

function fail(message: string, reason: 'malformed' | 'server' | 'timeout' | 'client' | 'aborted', hint: string, cause?: unknown): ProviderError {
  return new ProviderError(message, { reason, provider: PROVIDER, hint, cause });
}

/** Creates the monitor for one program. */
export function createCommandMonitor(config: CommandConfig, _deps: ModuleDeps): Monitor {
  const program = config.command[0] as string;
  const label = config.name ?? basename(program);
  const scope: ScopeInfo = { id: '', label };
  const secrets = Object.values(config.env);
  const scrub = (text: string) => redactSecrets(text, secrets);

  async function* run(ctx: ScanContext): AsyncGenerator<Observation> {
    const child = spawn(program, config.command.slice(1), {
      shell: false,
      // Its own process group, so a timeout kills whatever it started too.
      detached: true,
      cwd: config.cwd,
      env: Object.fromEntries(Object.entries(config.env).map(([k, v]) => [k, v.reveal()])),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    ctx.countRequest();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_KEEP);
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    exited.catch(() => undefined); // observed below; never an unhandled rejection meanwhile

    let running = true;
    void exited.finally(() => (running = false)).catch(() => undefined);
    const killGroup = (signal: NodeJS.Signals) => {
      if (!running || child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let timedOut = false;
    const stop = (why: 'timeout' | 'abort') => {
      if (why === 'timeout') timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => stop('timeout'), config.timeout);
    const onAbort = () => stop('abort');
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const errorTail = () => {
      const text = scrub(stderr).replace(/[^\x20-\x7e\n\t]/g, '?').trim();
      return text ? `; its standard error ended with: ${text.slice(-500)}` : '';
    };

    const seen = new Set<string>();
    let lineNo = 0;
    try {
      const lines = createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const raw of lines) {
        lineNo += 1;
        const line = raw.trim();
        if (line === '') continue;
        let json: unknown;
        try {
          json = JSON.parse(line);
        } catch {
          throw fail(`${label}: line ${lineNo} of the output is not JSON`, 'malformed', `print one JSON object per line (${README})`);
        }
        const parsed = accountLine.safeParse(json);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
          throw fail(`${label}: line ${lineNo} is not a valid account (${where}${issue?.message ?? 'invalid'})`, 'malformed', README);
        }
        const a = parsed.data;
        if (seen.has(a.id)) throw fail(`${label}: line ${lineNo} repeats account id "${a.id}"`, 'malformed', `nothing was committed; fix the program so that each account appears exactly once (${README})`);
        seen.add(a.id);
        yield {
          accountId: a.id,
          login: a.login,
          email: a.email ? a.email.toLowerCase() : null,
          displayName: a.displayName ?? null,
          kind: a.kind,
          admin: a.admin,
          mfa: a.mfa,
          factors: a.factors,
          url: a.url ?? null,
        };
      }
      let outcome: { code: number | null; signal: NodeJS.Signals | null };
      try {
        outcome = await exited;
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'error';
        throw fail(`${label}: could not start ${program} (${code})`, 'client', 'check that "command" names an executable file (an absolute path is safest) and that mfawatch may run it', err);
      }
      if (timedOut) throw fail(`${label}: the program did not finish within ${config.timeout < 10_000 ? `${config.timeout}ms` : `${Math.round(config.timeout / 1000)}s`} and was killed${errorTail()}`, 'timeout', 'raise "timeout", or make the program faster; nothing was committed');
      if (ctx.signal.aborted) throw fail(`${label}: the scan was cancelled and the program was stopped`, 'aborted', 'nothing was committed');
      if (outcome.code !== 0) {
        const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
        throw fail(`${label}: the program ${how}${errorTail()}`, 'server', `a failed run commits nothing, whatever it printed (${README})`);
      }
      if (seen.size === 0 && !config.allowEmpty) {
        throw fail(`${label}: the program exited 0 but printed no account`, 'malformed', 'an empty listing would report every account as removed, so it fails the scan and nothing was committed; check why the program printed nothing (run it by hand), or set "allowEmpty": true if the system really has none');
      }
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      // Stopped early (an invalid line, the consumer gave up): do not leave the program running.
      if (running) stop('abort');
    }
  }

  return {
    scopes: () => [scope],
    scan: (_scope: ScopeInfo, ctx: ScanContext) => run(ctx),
  };
}

export const commandMonitor: MonitorModule<CommandConfig> = {
  type: 'command',
  provider: 'Command',
  configSchema: commandConfigSchema,
  secretKeys: [],
  create: (config, deps) => createCommandMonitor(config, deps),
};
