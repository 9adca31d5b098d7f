import { createHash, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A credential from the config: a token, webhook URL, password or key. It prints, serialises and
 * inspects as "[redacted]", so handing it to a logger or JSON.stringify cannot leak it; only
 * `reveal()` gives the value, and only code that sends it to its provider calls that.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The secret value, for the one place that must send it. */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * Replaces every occurrence of the given secret values in a text by "[redacted]".
 * A last line of defence for provider error bodies that echo a request back.
 */
export function redactSecrets(text: string, secrets: Iterable<Secret | string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    const v = s instanceof Secret ? s.reveal() : s;
    if (v && v.length >= 4) out = out.split(v).join(REDACTED);
  }
  return out;
}

/**
 * The parts of a secret URL that are credentials on their own, for redactSecrets: the URL, its
 * path (webhook URLs carry their token there: /services/T…/B…/token) and its query values
 * (?sig=…, ?token=…). A receiver that echoes only the token back is scrubbed too.
 */
export function secretUrlParts(url: Secret): string[] {
  const value = url.reveal();
  const parts = [value];
  try {
    const u = new URL(value);
    if (u.pathname.length >= 8) parts.push(u.pathname);
    for (const segment of u.pathname.split('/')) if (segment.length >= 12) parts.push(segment);
    for (const v of u.searchParams.values()) if (v.length >= 8) parts.push(v, encodeURIComponent(v));
    if (u.password) parts.push(u.password);
  } catch {
    // Not a URL: the whole value is all there is.
  }
  return parts;
}

/**
 * Whether a received shared secret (a webhook's static Authorization or token header) equals the
 * configured one, in constant time: both are hashed to equal length first, so neither the value
 * nor its length leaks through timing. A missing value never matches.
 */
export function sameSecret(given: string | undefined, expected: Secret): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected.reveal()).digest();
  return timingSafeEqual(a, b);
}
