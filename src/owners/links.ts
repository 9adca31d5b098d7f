/**
 * "Was this you?" answer links: two per case (yes / no), sharing one single-use nonce, expiring
 * with owners.linkTtl, signed with HMAC-SHA256 under a key generated into the database (never the
 * config). A link proves only that someone holding the notice clicked it.
 *
 * GET shows a confirmation page with a POST form, so mail scanners and link prefetchers (which
 * follow GET) never answer for the person; the POST records the answer. A forged, tampered,
 * expired or reused link is refused with one page that says only that the link does not work,
 * and nothing is recorded. Pages escape everything and name no account, person or provider.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { App } from '../app.js';
import { OwnerStore } from '../../storage/owners.js';
import { htmlText } from '../core/text.js';
import type { ChangeEvent } from '../core/types.js';
import { queueEventBatches } from '../delivery/outbox.js';
import { eventFromRow, type EventRow } from '../../storage/rows.js';
import { severityOf } from '../scan/policy.js';

/** The path answer links are served under. */
export const ANSWER_PATH = '/owners/answer/';

interface LinkClaims {
  caseId: number;
  nonce: string;
  answer: 'yes' | 'no';
  expires: Date;
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(`mfawatch-owner-answer.v1.${body}`).digest();
}

/** Bytes of the signed claims: version, case id, expiry (seconds), answer, nonce (12 bytes). */
const CLAIMS_BYTES = 1 + 4 + 4 + 1 + 12;

/**
 * The signed URL of one answer. The token is short enough for any router and mail client
 * (74 characters): base64url(claims) "." base64url(HMAC-SHA256(key, claims)).
 */
export function signLink(publicUrl: string, key: Buffer, claims: LinkClaims): string {
  const nonce = Buffer.from(claims.nonce, 'base64url');
  if (nonce.length !== 12) throw new Error('an answer-link nonce is 12 random bytes');
  const bytes = Buffer.alloc(CLAIMS_BYTES);
  bytes.writeUInt8(1, 0);
  bytes.writeUInt32BE(claims.caseId, 1);
  bytes.writeUInt32BE(Math.floor(claims.expires.getTime() / 1000), 5);
  bytes.writeUInt8(claims.answer === 'yes' ? 1 : 2, 9);
  nonce.copy(bytes, 10);
  const body = bytes.toString('base64url');
  return `${publicUrl.replace(/\/+$/, '')}${ANSWER_PATH}${body}.${mac(key, body).toString('base64url')}`;
}

/** The claims of a token whose signature is right; null for anything else. Expiry and use are checked by the caller. */
function verifiedClaims(key: Buffer, token: string): LinkClaims | null {
  const parts = token.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1] || !/^[A-Za-z0-9_-]+$/.test(parts[0]) || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  const given = Buffer.from(parts[1], 'base64url');
  const expected = mac(key, parts[0]);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const bytes = Buffer.from(parts[0], 'base64url');
  if (bytes.length !== CLAIMS_BYTES || bytes.readUInt8(0) !== 1) return null;
  const answer = bytes.readUInt8(9);
  if (answer !== 1 && answer !== 2) return null;
  return { caseId: bytes.readUInt32BE(1), expires: new Date(bytes.readUInt32BE(5) * 1000), answer: answer === 1 ? 'yes' : 'no', nonce: bytes.subarray(10).toString('base64url') };
}

export type AnswerOutcome = { ok: true; answer: 'yes' | 'no'; event: ChangeEvent | null } | { ok: false; why: 'invalid' | 'expired' | 'used' };

/** Checks a token without using it: what the GET page may offer. */
export function checkAnswerLink(app: App, token: string): AnswerOutcome {
  const owners = new OwnerStore(app.store);
  const claims = verifiedClaims(owners.linkKey(), token);
  if (!claims) return { ok: false, why: 'invalid' };
  const link = owners.link(claims.nonce);
  if (!link || link.case_id !== claims.caseId) return { ok: false, why: 'invalid' };
  if (link.used_at) return { ok: false, why: 'used' };
  const now = app.clock.now();
  if (now.getTime() >= claims.expires.getTime() || now.getTime() >= Date.parse(link.expires_at)) return { ok: false, why: 'expired' };
  const c = owners.caseById(claims.caseId);
  if (!c || c.status !== 'open') return { ok: false, why: 'used' };
  return { ok: true, answer: claims.answer, event: null };
}

/**
 * Records the answer of a valid, unused, unexpired link, once: the link (both answers) is used
 * up, the case closed, the answer audited. "No" raises a critical `owner_reported_compromise`
 * to the team and decides auto-response under the usual guards.
 */
export function answerLink(app: App, token: string, from: string, decide: (event: ChangeEvent, now: Date) => void): AnswerOutcome {
  const owners = new OwnerStore(app.store);
  return app.store.transaction((): AnswerOutcome => {
    const check = checkAnswerLink(app, token);
    if (!check.ok) return check;
    const claims = verifiedClaims(owners.linkKey(), token) as LinkClaims;
    const now = app.clock.now();
    if (!owners.useLink(claims.nonce, now)) return { ok: false, why: 'used' };
    const c = owners.caseById(claims.caseId);
    if (!c) return { ok: false, why: 'invalid' };
    owners.recordAnswer(c.id, claims.answer, now);
    owners.closeCase(c.id, now, claims.answer === 'yes' ? 'owner confirmed it was them' : 'owner reported it was not them');
    app.store.audit({ at: now, actor: c.identity ?? 'owner', action: 'owner.answered', subject: `${c.monitor_id}:${c.account_id}`, detail: { case: c.id, answer: claims.answer, event: c.event_id, from } });
    if (claims.answer === 'yes') return { ok: true, answer: 'yes', event: null };
    const row = app.store.db.prepare('SELECT * FROM events WHERE id = ?').get(c.event_id) as EventRow | undefined;
    const cause = row ? eventFromRow(row) : null;
    const e: Omit<ChangeEvent, 'id'> = {
      type: 'owner_reported_compromise', severity: severityOf('owner_reported_compromise', cause?.before ?? null, cause?.after ?? null, app.config.severity),
      monitorId: c.monitor_id, scope: c.scope, provider: c.provider, at: now.toISOString(), accountId: c.account_id, login: c.login,
      before: cause?.after ?? null, after: cause?.after ?? null,
      summary: `${c.login} says the change was not them: ${cause?.summary ?? c.event_type}`,
      detail: { case: c.id, cause: c.event_id, causeType: c.event_type, identity: c.identity, answeredAt: now.toISOString() },
    };
    const stored: ChangeEvent = { ...e, id: app.store.insertEvent(e, null) };
    const m = app.monitors.find((x) => x.config.id === c.monitor_id);
    const source = { monitorId: c.monitor_id, provider: m?.module.provider ?? c.provider, type: m?.module.type ?? '', scope: c.scope, label: c.scope || c.monitor_id };
    queueEventBatches(app.store, [...app.notifiers.values()], `owner-answer-${c.id}`, 'changes', source, [stored], now);
    decide(stored, now);
    return { ok: true, answer: 'no', event: stored };
  });
}

const SECURITY_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${htmlText(title)}</title></head>` +
    `<body style="font-family:sans-serif;max-width:36em;margin:3em auto;line-height:1.5"><h1 style="font-size:1.4em">${htmlText(title)}</h1>${body}</body></html>`;
}

const REFUSED = page('This link does not work', '<p>This answer link is not valid: it may have expired or been used already. Nothing was recorded.</p><p>If something about your account looks wrong, contact your security team directly.</p>');

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).headers(SECURITY_HEADERS).send(html);
}

/** What the routes need beyond the app: what to run after a "no" was recorded (kills, delivery). */
export interface AnswerRouteHooks {
  decide: (event: ChangeEvent, now: Date) => void;
  onAnswered?: ((answer: 'yes' | 'no') => void) | undefined;
}

/** Registers GET and POST /owners/answer/:token on a fastify instance (the inbound receiver). */
export function registerAnswerRoutes(server: FastifyInstance, app: App, hooks: AnswerRouteHooks): void {
  server.get<{ Params: { token: string } }>(`${ANSWER_PATH}:token`, async (request, reply) => {
    const check = checkAnswerLink(app, request.params.token);
    if (!check.ok) return send(reply, 404, REFUSED);
    const question = check.answer === 'yes' ? 'Yes, it was me' : "No, it wasn't me";
    const explain = check.answer === 'yes'
      ? '<p>Confirm that you made the change the notice described. The security team sees your answer.</p>'
      : '<p>Confirm that you did <strong>not</strong> make the change the notice described. The security team is told at once and your sessions may be ended; you may have to sign in again.</p>';
    return send(reply, 200, page(`Confirm: ${question}`, `${explain}<form method="post" action=""><button type="submit" style="font-size:1.1em;padding:.4em 1.2em">${htmlText(question)}</button></form><p style="color:#666">Nothing is recorded until you press the button.</p>`));
  });
  server.post<{ Params: { token: string } }>(`${ANSWER_PATH}:token`, async (request, reply) => {
    const outcome = answerLink(app, request.params.token, request.ip, hooks.decide);
    if (!outcome.ok) {
      app.logger.warn({ why: outcome.why, from: request.ip }, 'owner answer link refused; nothing recorded');
      return send(reply, 404, REFUSED);
    }
    hooks.onAnswered?.(outcome.answer);
    return send(reply, 200, outcome.answer === 'yes'
      ? page('Thank you', '<p>Your answer "yes, it was me" is recorded. Nothing more is needed.</p>')
      : page('Thank you: the security team is told', '<p>Your answer "no, it wasn\'t me" is recorded and the security team has been alerted. Expect to be contacted; your sessions may be ended.</p>'));
  });
}
