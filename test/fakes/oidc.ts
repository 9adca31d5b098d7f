/**
 * A fake OpenID Provider on loopback, following OpenID Connect Core 1.0 and Discovery 1.0 and
 * RFC 7636 (PKCE):
 *   GET  /.well-known/openid-configuration   provider metadata (issuer, endpoints, jwks_uri, …)
 *   GET  /jwks                               the RS256 public key as a JWK Set
 *   GET  /authorize                          "signs in" `user` at once and redirects to
 *                                            redirect_uri?code=…&state=… (errors as error=…&state=…)
 *   POST /token                              authorization_code grant, client_secret_basic,
 *                                            code_verifier checked against the S256 challenge;
 *                                            answers {access_token, token_type, expires_in,
 *                                            id_token, scope}; errors {error, error_description}
 * The ID token is a JWT signed with node:crypto (RSASSA-PKCS1-v1_5 SHA-256), with iss, sub, aud,
 * exp, iat, nonce, auth_time, email, email_verified.
 * https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata
 * https://openid.net/specs/openid-connect-core-1_0.html#TokenResponse
 */
import { createHash, createSign, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { LoopbackServer, sendJson, type RecordedRequest } from './http.js';

export interface FakeOidcUser {
  sub: string;
  email: string;
  emailVerified?: boolean;
}

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  authTime: number;
  user: FakeOidcUser;
}

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

export class FakeOidc extends LoopbackServer {
  /** Who signs in at /authorize next. */
  user: FakeOidcUser = { sub: '00u-alice', email: 'alice@example.com', emailVerified: true };
  /** auth_time source (epoch ms); tests move it with their pinned clock. */
  authClock: () => number = () => Date.now();
  readonly #codes = new Map<string, IssuedCode>();
  readonly #private: KeyObject;
  readonly #public: KeyObject;
  readonly kid = 'fake-key-1';

  constructor(readonly clientId: string, readonly clientSecret: string) {
    super((req, res) => this.#route(req, res));
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.#private = privateKey;
    this.#public = publicKey;
  }

  /** The /authorize requests received, parsed. */
  authorizeRequests(): URLSearchParams[] {
    return this.requests.filter((r) => r.path === '/authorize').map((r) => r.query);
  }

  #sign(claims: Record<string, unknown>): string {
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: this.kid }));
    const body = b64url(JSON.stringify(claims));
    const signature = createSign('RSA-SHA256').update(`${head}.${body}`).sign(this.#private);
    return `${head}.${body}.${b64url(signature)}`;
  }

  #tokenError(res: ServerResponse, status: number, error: string, description: string): void {
    sendJson(res, status, { error, error_description: description }, { 'cache-control': 'no-store' });
  }

  #route(req: RecordedRequest, res: ServerResponse): void {
    if (req.method === 'GET' && req.path === '/.well-known/openid-configuration') {
      return sendJson(res, 200, {
        issuer: this.url,
        authorization_endpoint: `${this.url}/authorize`,
        token_endpoint: `${this.url}/token`,
        jwks_uri: `${this.url}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
        code_challenge_methods_supported: ['S256'],
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'email', 'email_verified'],
      });
    }
    if (req.method === 'GET' && req.path === '/jwks') {
      return sendJson(res, 200, { keys: [{ ...this.#public.export({ format: 'jwk' }), kid: this.kid, alg: 'RS256', use: 'sig' }] });
    }
    if (req.method === 'GET' && req.path === '/authorize') {
      const q = req.query;
      const redirect = q.get('redirect_uri') ?? '';
      if (q.get('client_id') !== this.clientId || !redirect) return sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown client or missing redirect_uri' });
      const back = new URL(redirect);
      const state = q.get('state');
      if (state) back.searchParams.set('state', state);
      if (q.get('response_type') !== 'code' || q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) {
        back.searchParams.set('error', 'invalid_request');
        back.searchParams.set('error_description', 'response_type=code with an S256 code_challenge is required');
      } else {
        const code = randomBytes(16).toString('hex');
        this.#codes.set(code, { clientId: this.clientId, redirectUri: redirect, challenge: q.get('code_challenge') ?? '', nonce: q.get('nonce'), authTime: Math.floor(this.authClock() / 1000), user: { ...this.user } });
        back.searchParams.set('code', code);
      }
      res.writeHead(302, { location: back.href });
      res.end();
      return;
    }
    if (req.method === 'POST' && req.path === '/token') {
      const auth = req.headers.authorization ?? '';
      const basic = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8') : '';
      // RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined with ":".
      const [id, secret] = basic.split(':').map((v) => decodeURIComponent(v.replace(/\+/g, ' ')));
      if (id !== this.clientId || secret !== this.clientSecret) return this.#tokenError(res, 401, 'invalid_client', 'client authentication failed');
      const form = new URLSearchParams(req.body);
      if (form.get('grant_type') !== 'authorization_code') return this.#tokenError(res, 400, 'unsupported_grant_type', 'only authorization_code');
      const code = form.get('code') ?? '';
      const issued = this.#codes.get(code);
      this.#codes.delete(code); // single use
      if (!issued) return this.#tokenError(res, 400, 'invalid_grant', 'the code is unknown or was already used');
      if (form.get('redirect_uri') !== issued.redirectUri) return this.#tokenError(res, 400, 'invalid_grant', 'redirect_uri does not match the authorization request');
      const verifier = form.get('code_verifier') ?? '';
      if (b64url(createHash('sha256').update(verifier).digest()) !== issued.challenge) return this.#tokenError(res, 400, 'invalid_grant', 'PKCE verification failed');
      const now = Math.floor(Date.now() / 1000);
      const idToken = this.#sign({
        iss: this.url, sub: issued.user.sub, aud: issued.clientId, exp: now + 300, iat: now, auth_time: issued.authTime,
        ...(issued.nonce ? { nonce: issued.nonce } : {}), email: issued.user.email, email_verified: issued.user.emailVerified ?? true,
      });
      return sendJson(res, 200, { access_token: randomBytes(16).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken, scope: 'openid email profile' }, { 'cache-control': 'no-store', pragma: 'no-cache' });
    }
    return sendJson(res, 404, { error: 'not_found' });
  }
}
