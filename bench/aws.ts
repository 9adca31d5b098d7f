/**
 * AWS IAM scenarios: one AWS account of N IAM users, scanned in report mode (the credential
 * report) with the default credentials from the environment, served by test/fakes/aws-iam.ts
 * (the AWS Query protocol, SigV4 verified, the report as base64 CSV).
 */
import { FakeAws } from '../test/fakes/aws-iam.js';
import { prng, type BarePlan, type ChangeCounts, type ProviderScenario, type RunningScenario } from './scenario.js';

const ACCOUNT = '123456789012';
const ACCESS_KEY_ID = 'AKIABENCHNOTAREALKEY';
const SECRET_ACCESS_KEY = 'benchSecretAccessKeyThatIsNotARealSecret0';
/** IAM is global and signs in us-east-1. */
const REGION = 'us-east-1';
/**
 * The fewest calls a complete report-mode scan of one account needs: sts:GetCallerIdentity (the
 * credentials belong to the configured account), iam:ListAccountAliases (its name in alerts),
 * iam:GenerateCredentialReport (answered COMPLETE: a report of the last 4 hours exists) and
 * iam:GetCredentialReport. The count does not depend on the number of users. A report older than
 * 4 hours takes more GenerateCredentialReport polls while AWS writes it; the fake answers at once.
 */
const CALLS_PER_ACCOUNT = 4;


function startAws(users: number): () => Promise<RunningScenario> {
  return async () => {
    const aws = new FakeAws();
    // Reports are "generated" now, by the real clock the CLI runs with.
    aws.reportTime = new Date();
    const account = aws.addAccount(ACCOUNT, { alias: 'bench-prod', rootMfa: 'hardware_totp', baseKey: { id: ACCESS_KEY_ID, secret: SECRET_ACCESS_KEY } });
    // A typical account: most users sign in to the console with MFA, some without, some are API-only.
    for (let i = 0; i < users; i++) {
      const r = i % 20;
      aws.addUser(ACCOUNT, r < 15 ? { name: `user${i}@bench.example`, password: true, devices: ['virtual'] } : r < 17 ? { name: `user${i}@bench.example`, password: true, devices: [] } : { name: `svc-${i}`, password: false, devices: [], accessKey: true });
    }
    await aws.start();
    const random = prng(users);
    let nextUser = users;

    const scenario: RunningScenario = {
      monitor: { id: 'bench', type: 'aws-iam', mode: 'report', accountId: ACCOUNT, endpoint: { iam: aws.url, sts: aws.url } },
      // The SDK's default chain reads the environment, as in production; nothing else may answer.
      env: {
        AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY, AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
        AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials', AWS_EC2_METADATA_DISABLED: 'true',
      },
      // Every IAM user plus the root user (a row of the report).
      accounts: () => account.users.size + 1,
      applyChanges(fraction: number): ChangeCounts {
        const total = Math.max(1, Math.round(account.users.size * fraction));
        const names = [...account.users.keys()];
        const picked = new Set<string>();
        const pick = (fits: (u: { password: boolean; devices: string[] }) => boolean) => {
          for (;;) {
            const name = names[Math.floor(random() * names.length)] as string;
            const user = account.users.get(name);
            if (user && !picked.has(name) && fits(user)) {
              picked.add(name);
              return Object.assign(user, { name });
            }
          }
        };
        // An account's churn: MFA devices removed and added, people leaving and joining,
        // console passwords given to and taken from users.
        const plan: Array<[string, number]> = [
          ['mfa_disabled', 0.3], ['mfa_enabled', 0.1], ['left', 0.2], ['joined', 0.2], ['console_enabled', 0.1], ['console_removed', 0.1],
        ];
        const counts: ChangeCounts = {};
        for (const [kind, share] of plan) {
          const n = Math.max(1, Math.round(total * share));
          counts[kind] = n;
          for (let i = 0; i < n; i++) {
            if (kind === 'joined') {
              const id = nextUser++;
              aws.addUser(ACCOUNT, { name: `user${id}@bench.example`, password: true, devices: i % 4 === 0 ? [] : ['virtual'] });
            } else if (kind === 'mfa_disabled') pick((u) => u.password && u.devices.length > 0).devices = [];
            else if (kind === 'mfa_enabled') pick((u) => u.password && u.devices.length === 0).devices = ['virtual'];
            else if (kind === 'left') account.users.delete(pick(() => true).name);
            else if (kind === 'console_enabled') pick((u) => !u.password).password = true;
            else if (kind === 'console_removed') pick((u) => u.password).password = false;
          }
        }
        // AWS writes a new report (reports are regenerated at most every 4 hours).
        account.reportGeneratedAt = new Date();
        return counts;
      },
      minimumRequests: () => CALLS_PER_ACCOUNT,
      takeRequestCount(): number {
        const n = aws.requests.length;
        aws.requests.length = 0;
        return n;
      },
      barePlan(): BarePlan {
        const iam = (Action: string, reportRows = false) => ({ service: 'iam' as const, params: { Action, Version: '2010-05-08' }, ...(reportRows ? { reportRows } : {}) });
        return {
          kind: 'aws-query',
          endpoint: aws.url,
          region: REGION,
          credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
          calls: [
            { service: 'sts', params: { Action: 'GetCallerIdentity', Version: '2011-06-15' } },
            iam('ListAccountAliases'),
            iam('GenerateCredentialReport'),
            iam('GetCredentialReport', true),
          ],
        };
      },
      stop: () => aws.stop(),
    };
    return scenario;
  };
}

/** The AWS entries of the bench. */
export const awsScenarios: ProviderScenario[] = [
  { id: 'aws-5k', title: 'AWS account, 5,000 IAM users (credential report)', size: 5_000, unchangedScan: true, start: startAws(5_000) },
];
