/**
 * The `inbound` HTTP receiver for provider pushes (webhooks), on fastify: `POST /hooks/<monitor-id>`
 * for each monitor instance whose event sources include a pushed one; 404 for any other path.
 *
 * - The body is taken raw (a Buffer, whatever the content type: the signature covers the exact
 *   bytes), at most `inbound.bodyLimit` bytes (413 beyond), within REQUEST_TIMEOUT_MS.
 * - The monitor's source checks the signature or static token and translates (401 bad or missing
 *   signature or token, said in `status` as the source's PushedEventSource.credential names it; 415
 *   a content type it does not take, 400 a body it cannot read); then the runner commits the
 *   delivery (dedupe, facts, hints) in one transaction, and only then is 202 answered. A commit
 *   that fails answers 500, so the provider may redeliver.
 * - `GET /hooks/<monitor-id>` answers a provider's verification request (Okta's one-time
 *   `x-okta-verification-challenge`) only when the monitor's pushed source has `challenge()` and
 *   the secret matches (401 otherwise); 404 for every other monitor.
 * - Answers reveal nothing: a fixed word per status, never why a signature failed or what was
 *   stored. TLS is terminated by a reverse proxy in front (README, "The inbound receiver and TLS").
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { App } from '../app.js';
import { parseListen } from '../observability/listen.js';
import type { PushCredential } from '../../monitors/events.js';
import type { EventRunner } from './runner.js';

/** A whole request (headers and body) must arrive within this time. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive connections are closed after this time. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Default largest body (1 MB). */
export const DEFAULT_BODY_LIMIT = 1_048_576;

export interface InboundServer {
  /** "http://host:port" actually bound. */
  url: string;
  close(): Promise<void>;
}

const WORDS: Record<number, string> = {
  400: 'bad request',
  401: 'unauthorized',
  404: 'not found',
  405: 'method not allowed',
  408: 'request timeout',
  413: 'payload too large',
  415: 'unsupported media type',
  500: 'internal error',
};

function word(status: number): { error: string } {
  return { error: WORDS[status] ?? 'error' };
}

/**
 * What a refused request lacked, for `status` and the log (never the HTTP answer): a signed
 * source's "bad or missing signature", a static-token source's "bad or missing token in <header>".
 */
function lackingCredential(credential: PushCredential): string {
  return credential.kind === 'signature' ? 'bad or missing signature' : `bad or missing token in ${credential.header}`;
}

/** What to check when requests are refused: the secret at the provider against the config key. */
function credentialFix(credential: PushCredential): string {
  return credential.kind === 'signature'
    ? `check that the webhook's secret is the one in the config, ${credential.configKey}`
    : `check that the value the provider sends in ${credential.header} is the one in the config, ${credential.configKey}`;
}

/** Builds the fastify app (not listening); exported for the server below only. */
function buildInbound(app: App, runner: EventRunner, bodyLimit: number, extend?: (server: FastifyInstance) => void): FastifyInstance {
  const server = Fastify({ logger: false, bodyLimit, requestTimeout: REQUEST_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, return503OnClosing: true });
  // Every body raw, whatever its type: the pushed source decides what it accepts (415) and
  // verifies the signature over the exact bytes.
  server.removeAllContentTypeParsers();
  server.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  server.setErrorHandler((error: FastifyError, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) app.logger.error({ err: error.message }, 'inbound request failed');
    void reply.code(status).send(word(status));
  });
  server.setNotFoundHandler((_request, reply) => void reply.code(404).send(word(404)));

  server.post<{ Params: { id: string } }>('/hooks/:id', async (request, reply) => {
    const route = runner.pushed(request.params.id);
    if (!route) return reply.code(404).send(word(404));
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const monitorId = route.instance.config.id;
    const verdict = await route.source.receive({ method: request.method, headers, rawBody });
    const refuse = (result: string, reason: string) => runner.refused(route.instance, route.source.name, result, reason);
    switch (verdict.status) {
      case 'unauthorized': {
        const lacking = lackingCredential(route.source.credential);
        refuse('unauthorized', `401: ${lacking} (${credentialFix(route.source.credential)})`);
        app.logger.warn({ monitor: monitorId, source: route.source.name, from: request.ip }, `webhook refused: ${lacking}`);
        return reply.code(401).send(word(401));
      }
      case 'unsupported_media_type':
        refuse('unsupported_media_type', `415: content type ${(headers['content-type'] ?? 'none').slice(0, 80)} (set the webhook to application/json)`);
        return reply.code(415).send(word(415));
      case 'bad_request':
        refuse('bad_request', `400: ${verdict.message}`);
        app.logger.warn({ monitor: monitorId, source: route.source.name }, `webhook refused: ${verdict.message}`);
        return reply.code(400).send(word(400));
      case 'challenge':
        return reply.code(200).send(verdict.body);
      case 'accepted':
        // Committed (or throws: 500) before the 2xx.
        runner.ingest(route.instance, route.source.name, verdict.batch, { poll: false });
        if (verdict.noContent) return reply.code(204).send();
        return reply.code(202).send({ status: 'accepted' });
    }
  });
  // A provider's verification GET (Okta event hooks), only for sources that answer one.
  server.get<{ Params: { id: string } }>('/hooks/:id', async (request, reply) => {
    const route = runner.pushed(request.params.id);
    if (!route?.source.challenge) return reply.code(404).send(word(404));
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const verdict = route.source.challenge({ method: request.method, headers, rawBody: Buffer.alloc(0) });
    const monitorId = route.instance.config.id;
    switch (verdict.status) {
      case 'unauthorized': {
        const lacking = lackingCredential(route.source.credential);
        runner.refused(route.instance, route.source.name, 'unauthorized', `401: verification request with a ${lacking} (${credentialFix(route.source.credential)})`);
        app.logger.warn({ monitor: monitorId, source: route.source.name, from: request.ip }, `hook verification refused: ${lacking}`);
        return reply.code(401).send(word(401));
      }
      case 'bad_request':
        runner.refused(route.instance, route.source.name, 'bad_request', `400: ${verdict.message}`);
        return reply.code(400).send(word(400));
      case 'challenge':
        app.logger.info({ monitor: monitorId, source: route.source.name }, 'hook verification answered');
        return reply.code(200).send(verdict.body);
    }
  });
  // Other routes served on the same listener (the owners' answer links, src/owners/links.ts).
  extend?.(server);
  return server;
}

/** Starts the receiver on `listen`; `extend` adds routes of other parts (registered after the hooks route). */
export async function startInboundServer(app: App, runner: EventRunner, listen: string, bodyLimit = DEFAULT_BODY_LIMIT, extend?: (server: FastifyInstance) => void): Promise<InboundServer> {
  const where = parseListen(listen);
  if (!where) throw new Error(`inbound.listen "${listen}" is not HOST:PORT`);
  const server = buildInbound(app, runner, bodyLimit, extend);
  await server.listen({ host: where.host, port: where.port });
  const address = server.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: () => server.close() };
}
