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
