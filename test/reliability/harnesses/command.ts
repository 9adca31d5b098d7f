/**
 * The command monitor in the fault matrix. Its "provider" is a program, so the HTTP faults are
 * translated into the ways a program fails: a non-zero exit, a hang, being killed mid-output, a
 * line cut short, a line that is not JSON, a line of the wrong shape, no output, an account
 * printed twice, a program that is missing or not executable. The program is a small Node script
 * (like the ones test/monitors/command.test.ts runs) that prints the accounts of a state file.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers.js';
import type { FaultId, MonitorHarness } from '../harness.js';

const API_TOKEN = 'hr-api-token-fault-matrix-5e1f0c';

/** Prints one JSON line per account of the state file, failing as `state.fault` says. */
const PROGRAM = `#!${process.execPath}
const fs = require('node:fs');
const state = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const lines = state.accounts.map((a) => JSON.stringify(a));
const head = lines.slice(0, 100).join('\\n') + '\\n';
const then = (fn) => process.stdout.write(head, fn);
switch (state.fault) {
  case 'exit':
    then(() => { process.stderr.write('upstream HR API answered 502 for token ' + process.env.HR_API_TOKEN + '\\n'); process.exit(3); });
    break;
  case 'hang':
    then(() => setInterval(() => undefined, 1000));
    break;
  case 'killed':
    then(() => process.kill(process.pid, 'SIGKILL'));
    break;
  case 'truncated': {
    const last = lines[lines.length - 1];
    process.stdout.write(lines.slice(0, -1).join('\\n') + '\\n' + last.slice(0, Math.floor(last.length / 2)));
    break;
  }
  case 'not_json':
    process.stdout.write(head + '<html><body>502 Bad Gateway</body></html>\\n' + lines.slice(100).join('\\n') + '\\n');
    break;
  case 'wrong_shape':
    process.stdout.write(head + JSON.stringify({ id: 'u-0100', login: 'user100', mfa_enabled: true }) + '\\n' + lines.slice(101).join('\\n') + '\\n');
    break;
  case 'empty':
    break;
  case 'duplicate':
    process.stdout.write(head + lines.slice(0, 100).join('\\n') + '\\n' + lines.slice(200).join('\\n') + '\\n');
    break;
  case 'short':
    process.stdout.write(lines.slice(0, -10).join('\\n') + '\\n');
    break;
  default:
    process.stdout.write(lines.join('\\n') + '\\n');
}
`;

type ProgramFault = 'exit' | 'hang' | 'killed' | 'truncated' | 'not_json' | 'wrong_shape' | 'empty' | 'duplicate' | 'short';

const FAULT_OF: Partial<Record<FaultId, ProgramFault>> = {
  server_error: 'exit',
  timeout: 'hang',
  reset_mid_body: 'killed',
  truncated_body: 'truncated',
  missing_page: 'not_json',
  wrong_shape: 'wrong_shape',
  empty_list: 'empty',
  duplicate_across_pages: 'duplicate',
  short_last_page: 'short',
};

const NO_NETWORK = 'the program runs locally: there is no connection or HTTP status between mfawatch and it (when the program itself cannot reach its source, it exits non-zero: the 5xx row)';
const NO_RATE_LIMIT = 'no rate limits between mfawatch and a local program (the program waits out its own source\'s limits, or exits non-zero: the 5xx row)';

export const commandHarness: MonitorHarness = {
  kind: 'monitor',
  type: 'command',
  notApplicable: {
    rate_limit_429: NO_RATE_LIMIT,
    rate_limit_primary_403: NO_RATE_LIMIT,
    rate_limit_secondary_403: NO_RATE_LIMIT,
    unauthorized_401: 'mfawatch passes no credential of its own to the program; a credential its source rejects makes it exit non-zero (the 5xx row)',
    connection_refused: NO_NETWORK,
  },
  as: {
    short_last_page: 'the program prints 240 of its 250 accounts, every line whole, and exits 0',
    server_error: 'the program exits 3 after printing 100 of 250 accounts (its stderr echoes its token)',
    permission_403: 'the program file is not executable (EACCES)',
    not_found_404: 'the program does not exist (ENOENT)',
    reset_mid_body: 'the program is killed (SIGKILL) after printing 100 accounts',
    timeout: 'the program hangs after printing 100 accounts and is killed at "timeout"',
    truncated_body: 'the last line is cut in half, exit 0',
    wrong_shape: 'a line of valid JSON with the wrong keys ("mfa_enabled" instead of "mfa")',
    empty_list: 'the program prints nothing and exits 0',
    missing_page: 'a line that is not JSON mid-output (an HTML error page), exit 0',
    duplicate_across_pages: 'accounts 1-100 printed again in place of 101-200, exit 0',
  },
  expectOverride: {
    empty_list: {
      expect: 'failed',
      why: 'the command monitor refuses an empty output itself (unless "allowEmpty" is set), before the mass-change guard',
    },
  },
  async start() {
    const dir = tempDir('mfawatch-matrix-command-');
    const program = join(dir.path, 'list-accounts.cjs');
    const stateFile = join(dir.path, 'accounts.json');
    writeFileSync(program, PROGRAM, { mode: 0o755 });
    const accounts = Array.from({ length: 250 }, (_, i) => ({ id: `u-${String(i).padStart(4, '0')}`, login: `user${i}`, email: `user${i}@example.com`, admin: i === 0, mfa: i % 10 === 3 ? 'disabled' : 'enabled' }));
    let fault: ProgramFault | null = null;
    let missing = false;
    const write = () => writeFileSync(stateFile, JSON.stringify({ accounts, fault }));
    write();
    return {
      env: { HR_TOKEN: API_TOKEN },
      monitorEntry: () => ({
        id: 'hr-portal', type: 'command', name: 'hr-portal', command: [missing ? join(dir.path, 'gone.cjs') : program, stateFile],
        env: { HR_API_TOKEN: '${HR_TOKEN}' }, timeout: '1s',
      }),
      inject(f: FaultId) {
        if (f === 'permission_403') return chmodSync(program, 0o644);
        if (f === 'not_found_404') {
          missing = true;
          return;
        }
        const as = FAULT_OF[f];
        if (!as) throw new Error(`command harness: no translation for ${f}`);
        fault = as;
        write();
      },
      clear() {
        chmodSync(program, 0o755);
        missing = false;
        fault = null;
        write();
      },
      makeRealChange() {
        const account = accounts[1];
        if (!account) throw new Error('the harness program lost account 1');
        account.mfa = 'disabled';
        write();
        return { type: 'mfa_disabled', accountId: 'u-0001' };
      },
      stop: async () => dir.cleanup(),
    };
  },
};
