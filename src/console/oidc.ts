/**
 * OpenID Connect sign-in with openid-client: issuer discovery, the authorization code flow with
 * PKCE (S256), state and nonce, and `max_age` when a fresh sign-in is needed (before a kill).
 * Discovery happens on first use and again after a failure, so an IdP that is down at start-up
 * does not keep the console from starting.
 */
import * as client from 'openid-client';
import { Secret } from '../core/secret.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret?: Secret | undefined;
  scopes: readonly string[];
  /** <publicUrl>/auth/callback */
  redirectUri: string;
  fetch?: typeof globalThis.fetch | undefined;
}

/** What the browser must bring back to the callback (kept in a signed, short-lived cookie). */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  /** Seconds; set when the sign-in must be fresh. */
  maxAge: number | null;
  /** Where to go afterwards (a console path). */
  next: string;
}

/** A completed sign-in. */
export interface OidcIdentity {
  email: string;
  /** When the person actually authenticated at the IdP (auth_time, else now). */
  authAt: Date;
}

/** The IdP could not be reached or answered nonsense; the message says which and what to check. */
export class OidcUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcUnavailableError';
  }
}

/** The sign-in came back wrong (state mismatch, bad token, unverified email). */
export class OidcRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OidcRejectedError';
  }
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
}

/** One configured IdP. */
export class OidcSignIn {
  readonly #s: OidcSettings;
  #config: Promise<client.Configuration> | undefined;

  constructor(settings: OidcSettings) {
    this.#s = settings;
  }

  #discover(): Promise<client.Configuration> {
    if (!this.#config) {
      const issuer = new URL(this.#s.issuer);
      // Plain http only for an IdP on loopback (a test IdP); anything else must be https.
      const execute = issuer.protocol === 'http:' && isLoopback(issuer) ? [client.allowInsecureRequests] : [];
      const auth = this.#s.clientSecret ? client.ClientSecretBasic(this.#s.clientSecret.reveal()) : client.None();
      this.#config = client
        .discovery(issuer, this.#s.clientId, undefined, auth, { execute, ...(this.#s.fetch ? { [client.customFetch]: this.#s.fetch as client.CustomFetch } : {}), timeout: 10 })
        .catch((err: unknown) => {
          this.#config = undefined;
          throw new OidcUnavailableError(`cannot read the OpenID configuration of ${issuer.origin} (console.oidc.issuer): ${(err as Error).message}; check that the issuer URL is right and the IdP is reachable from this host`, { cause: err });
        });
    }
    return this.#config;
  }

  /** The IdP's authorization URL for a new sign-in, and what the callback will need. */
  async start(options: { fresh: boolean; next: string }): Promise<{ url: string; pending: PendingSignIn }> {
    const config = await this.#discover();
    const verifier = client.randomPKCECodeVerifier();
    const pending: PendingSignIn = { state: client.randomState(), nonce: client.randomNonce(), verifier, maxAge: options.fresh ? 0 : null, next: options.next };
    const params: Record<string, string> = {
      redirect_uri: this.#s.redirectUri,
      scope: ['openid', 'email', 'profile', ...this.#s.scopes].join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    };
    if (pending.maxAge !== null) {
      params.max_age = String(pending.maxAge);
      params.prompt = 'login';
    }
    return { url: client.buildAuthorizationUrl(config, params).href, pending };
  }

  /** Exchanges the code the IdP sent back (`callbackUrl` as received) and checks the ID token. */
  async finish(callbackUrl: URL, pending: PendingSignIn, now: Date): Promise<OidcIdentity> {
    const config = await this.#discover();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
        ...(pending.maxAge !== null ? { maxAge: pending.maxAge } : {}),
      });
    } catch (err) {
      const e = err as Error & { code?: string; error?: string; error_description?: string };
      if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || e.code === 'ECONNREFUSED' || e.name === 'TypeError' || e.name === 'TimeoutError') {
        throw new OidcUnavailableError(`the IdP's token endpoint did not answer properly: ${e.message}`, { cause: err });
      }
      throw new OidcRejectedError(`the sign-in was not accepted: ${e.error_description ?? e.error ?? e.message}`, { cause: err });
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcRejectedError('the IdP returned no ID token');
    const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
    if (!email) throw new OidcRejectedError('the ID token has no email claim: allow the "email" scope for the console\'s client at the IdP');
    // An IdP that says the address is unverified cannot vouch for who it is.
    if (claims.email_verified === false) throw new OidcRejectedError(`the IdP says ${email} is not verified`);
    const authAt = typeof claims.auth_time === 'number' ? new Date(claims.auth_time * 1000) : now;
    return { email, authAt };
  }
}
