/**
 * Secret hygiene of the event sources: a hostile provider that echoes the credential back in the
 * error body of a System Log / audit poll gets it into no error message or hint (what `status` and
 * the logs show).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { auth0ConfigSchema } from '../../monitors/auth0/config.js';
import { createAuth0Monitor } from '../../monitors/auth0/index.js';
import { entraConfigSchema } from '../../monitors/entra/config.js';
import { createEntraMonitor } from '../../monitors/entra/index.js';
import type { PulledEventSource, PushedEventSource } from '../../monitors/events.js';
import { gitlabConfigSchema } from '../../monitors/gitlab/config.js';
import { createGitlabMonitor } from '../../monitors/gitlab/index.js';
import { oktaConfigSchema } from '../../monitors/okta/config.js';
import { createOktaMonitor } from '../../monitors/okta/index.js';
import { slackConfigSchema } from '../../monitors/slack/config.js';
import { createSlackMonitor } from '../../monitors/slack/index.js';
import { FakeAuth0 } from '../fakes/auth0.js';
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

  it('auth0 logs', async () => {
    const fake = new FakeAuth0();
    fake.scopes = ['read:users', 'read:authentication_methods', 'read:logs'];
    await fake.start();
    stops.push(() => fake.stop());
    const secret = fake.clientSecret;
    fake.inject({ kind: 'status', status: 400, body: { statusCode: 400, error: 'Bad Request', message: `client_secret ${secret} is not allowed here`, errorCode: secret } }, 5, (r) => r.path === '/api/v2/logs');
    const m = createAuth0Monitor(auth0ConfigSchema.parse({ id: 'a', type: 'auth0', domain: fake.domain, clientId: fake.clientId, clientSecret: secret, baseUrl: fake.url, retries: 0, events: {} }), testDeps());
    expect(await failureText(pulled(m.eventSources?.()))).not.toContain(secret);
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

describe('pushed sources never repeat their secret or the body they refused', () => {
  function pushed(sources: readonly unknown[] | undefined): PushedEventSource {
    const s = (sources ?? []).find((x) => (x as { kind?: string }).kind === 'push') as PushedEventSource | undefined;
    if (!s) throw new Error('no pushed source');
    return s;
  }

  it('auth0 log-stream and gitlab audit-stream', async () => {
    const auth0Token = 'SECRETHYGIENE-auth0-log-stream-0001';
    const gitlabToken = 'SECRETHYGIENE-gitlab-stream-0001';
    const auth0 = pushed(createAuth0Monitor(auth0ConfigSchema.parse({ id: 'a', type: 'auth0', domain: 'acme.eu.auth0.com', clientId: 'c', clientSecret: 's3cret-client', events: { logStream: { authorization: auth0Token } } }), testDeps()).eventSources?.());
    const gitlab = pushed(createGitlabMonitor(gitlabConfigSchema.parse({ id: 'g', type: 'gitlab', token: 'glpat-x', events: { streaming: { verificationToken: gitlabToken } } }), testDeps()).eventSources?.());
    const hostile = Buffer.from(`{"log_id": "${auth0Token}${gitlabToken}", "data": `);
    const verdicts = [
      await auth0.receive({ method: 'POST', headers: { authorization: `${auth0Token}x`, 'content-type': 'application/json' }, rawBody: hostile }),
      await auth0.receive({ method: 'POST', headers: { authorization: auth0Token, 'content-type': 'application/json' }, rawBody: hostile }),
      await gitlab.receive({ method: 'POST', headers: { 'x-gitlab-event-streaming-token': `${gitlabToken}x` }, rawBody: hostile }),
      await gitlab.receive({ method: 'POST', headers: { 'x-gitlab-event-streaming-token': gitlabToken }, rawBody: hostile }),
    ];
    expect(verdicts.map((v) => v.status)).toEqual(['unauthorized', 'bad_request', 'unauthorized', 'bad_request']);
    for (const v of verdicts) {
      expect(JSON.stringify(v)).not.toContain(auth0Token);
      expect(JSON.stringify(v)).not.toContain(gitlabToken);
    }
  });
});
