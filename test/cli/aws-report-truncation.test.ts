/**
 * A credential report cut at a line end (issue 12, item 10) parses as a shorter report: through
 * the CLI against the AWS IAM fake, its missing user must not become `account_removed`. The
 * report's user rows are checked against GetAccountSummary's `Users`; where the policy does not
 * allow that call, the removal waits for a second scan to agree.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeAws } from '../fakes/aws-iam.js';
import { type CliResult, eventLines, runCli, tempDir, writeConfig } from '../helpers.js';

const ACCOUNT = '111111111111';
const KEY = 'AKIAFAKETRUNCATION01';
const SECRET = 'truncationSecretKeyThatMustNeverBePrinted';

let aws: FakeAws;
let dir: ReturnType<typeof tempDir>;
let configPath: string;
const run = () => runCli(['run', '--config', configPath], { env: {} });
const events = (out: CliResult) => eventLines<{ type: string; login: string | null }>(out.stdout);

beforeEach(async () => {
  aws = new FakeAws();
  aws.addAccount(ACCOUNT, { alias: 'acme', baseKey: { id: KEY, secret: SECRET }, rootMfa: 'virtual' });
  for (const name of ['alice', 'bob', 'carol', 'dave', 'erin', 'zoe']) aws.addUser(ACCOUNT, { name, password: true, devices: ['virtual'] });
  await aws.start();
  vi.stubEnv('AWS_ACCESS_KEY_ID', KEY);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', SECRET);
  vi.stubEnv('AWS_SESSION_TOKEN', '');
  vi.stubEnv('AWS_PROFILE', '');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  dir = tempDir();
  configPath = writeConfig(dir.path, {
    database: './state.db',
    delivery: { runDeadline: '1s', initialBackoff: '100ms' },
    monitors: [{ id: 'aws', type: 'aws-iam', endpoint: { iam: aws.url, sts: aws.url }, maxAttempts: 1 }],
    notifiers: [{ id: 'siem', type: 'stdout' }],
  });
  expect((await run()).code).toBe(0);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await aws.stop();
  dir.cleanup();
});

/** The report without its last line: a cut at a line end, still a well-formed CSV. */
const cutAtLastLine = () => {
  const lines = aws.csv(ACCOUNT).split('\n').filter((l) => l.length > 0);
  return `${lines.slice(0, -1).join('\n')}\n`;
};

describe('a credential report cut at a line end', () => {
  it('is not believed: GetAccountSummary counts one user more; the next scan is quiet', async () => {
    aws.accounts.get(ACCOUNT)!.reportOverride = cutAtLastLine();
    const cut = await run();
    expect(cut.code, cut.stderr).toBe(0);
    expect(events(cut)).toEqual([]);
    delete aws.accounts.get(ACCOUNT)!.reportOverride;
    expect(events(await run())).toEqual([]);
  });

  it('without iam:GetAccountSummary the removal waits for a second scan too', async () => {
    aws.accounts.get(ACCOUNT)!.denied.add('iam:GetAccountSummary');
    aws.accounts.get(ACCOUNT)!.reportOverride = cutAtLastLine();
    expect(events(await run())).toEqual([]);
    delete aws.accounts.get(ACCOUNT)!.reportOverride;
    expect(events(await run())).toEqual([]);
  });

  it('a user really deleted is removed at once when the report matches the count', async () => {
    aws.accounts.get(ACCOUNT)!.users.delete('zoe');
    aws.accounts.get(ACCOUNT)!.reportState = 'none';
    const out = await run();
    expect(events(out).map((e) => [e.type, e.login])).toEqual([['account_removed', 'zoe']]);
  });
});
