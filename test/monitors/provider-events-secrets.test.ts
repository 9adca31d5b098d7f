/**
 * Secret hygiene of the event sources: a hostile provider that echoes the credential back in the
 * error body of a System Log / audit poll gets it into no error message or hint (what `status` and
 * the logs show).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PulledEventSource } from '../../monitors/events.js';
import { entraConfigSchema } from '../../monitors/entra/config.js';
import { createEntraMonitor } from '../../monitors/entra/index.js';
import { gitlabConfigSchema } from '../../monitors/gitlab/config.js';
import { createGitlabMonitor } from '../../monitors/gitlab/index.js';
import { oktaConfigSchema } from '../../monitors/okta/config.js';
import { createOktaMonitor } from '../../monitors/okta/index.js';
import { slackConfigSchema } from '../../monitors/slack/config.js';
import { createSlackMonitor } from '../../monitors/slack/index.js';
import { FakeEntra } from '../fakes/entra.js';
import { FakeGitlab } from '../fakes/gitlab.js';
import { FakeOkta } from '../fakes/okta.js';
import { FakeSlack } from '../fakes/slack.js';
import { testDeps } from '../helpers.js';

const never = new AbortController().signal;
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function pulled(sources: readonly unknown[] | undefined): PulledEventSource {
  const s = sources?.[0] as PulledEventSource | undefined;
  if (s?.kind !== 'pull') throw new Error('no pulled source');
  return s;
}

async function failureText(source: PulledEventSource): Promise<string> {
  const err = (await source.poll(undefined, never).catch((e: unknown) => e)) as { message?: string; hint?: string };
  expect(err).toBeInstanceOf(Error);
  return `${err.message ?? ''} ${err.hint ?? ''}`;
}

describe('event sources never repeat a credential the provider echoes', () => {
  it('okta system-log', async () => {
    const token = '00SECRETHYGIENE-okta-events-9f8e7d';
    const okta = new FakeOkta({ tokens: { [`SSWS ${token}`]: { factors: true } } });
    await okta.start();
    stops.push(() => okta.stop());
    okta.inject({ kind: 'status', status: 400, body: { errorCode: 'E0000001', errorSummary: `Api validation failed: SSWS ${token}`, errorCauses: [{ errorSummary: token }] } }, 5);
    const m = createOktaMonitor(oktaConfigSchema.parse({ id: 'o', type: 'okta', baseUrl: okta.url, token, retries: 0, events: {} }), testDeps());
    expect(await failureText(pulled(m.eventSources?.()))).not.toContain(token);
  });

  it('gitlab audit-events', async () => {
    const token = 'glpat-SECRETHYGIENE-events-0001';
    const gl = new FakeGitlab();
    gl.tokens[token] = { admin: true, groupOwner: true };
    await gl.start();
    stops.push(() => gl.stop());
    gl.inject({ kind: 'status', status: 400, body: { message: `bad token ${token}` } }, 5);
    const m = createGitlabMonitor(gitlabConfigSchema.parse({ id: 'g', type: 'gitlab', baseUrl: gl.url, token, retries: 0, events: {} }), testDeps());
    expect(await failureText(pulled(m.eventSources?.()))).not.toContain(token);
  });

  it('slack audit-logs', async () => {
    const token = 'xoxp-SECRETHYGIENE-events-0001';
    const slack = new FakeSlack({ [token]: { userId: 'U0A', scopes: ['users:read', 'auditlogs:read'] } });
    await slack.start();
    stops.push(() => slack.stop());
    slack.inject({ kind: 'status', status: 400, body: { ok: false, error: `invalid_auth ${token}` } }, 5);
    const m = createSlackMonitor(slackConfigSchema.parse({ id: 's', type: 'slack', token, baseUrl: `${slack.url}/api`, retries: 0, events: { auditBaseUrl: `${slack.url}/audit/v1` } }), testDeps());
    expect(await failureText(pulled(m.eventSources?.()))).not.toContain(token);
  });

  it('entra sign-ins (client secret and the access token echoed in a 403 and a 5xx)', async () => {
    const fake = new FakeEntra();
    fake.clientSecret = 'entra~SECRETHYGIENE~events~secret~77aa';
    await fake.start();
    stops.push(() => fake.stop());
    const echo = () => `${fake.clientSecret} Bearer ${fake.tokensIssued.at(-1) ?? ''}`;
    const m = createEntraMonitor(
      entraConfigSchema.parse({ id: 'e', type: 'entra', tenantId: fake.tenantId, clientId: fake.clientId, clientSecret: fake.clientSecret, loginBaseUrl: fake.url, graphBaseUrl: fake.url, retries: 0, events: { signIns: true } }),
      testDeps(),
    );
    const signIns = pulled(m.eventSources?.().filter((x) => x.name === 'sign-ins'));
    for (const status of [403, 502]) {
      fake.inject({ kind: 'rewrite', rewrite: (a) => ({ ...a, status, body: JSON.stringify({ error: { code: `Denied${echo()}`, message: echo(), innerError: {} } }) }) }, 1, (r) => r.path.endsWith('/signIns'));
      const text = await failureText(signIns);
      expect(text).not.toContain(fake.clientSecret);
      expect(fake.tokensIssued.length).toBeGreaterThan(0);
      for (const t of fake.tokensIssued) expect(text).not.toContain(t);
    }
  });
});
