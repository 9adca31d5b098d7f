/**
 * HTML output that is escaped by construction. Every interpolated value in an `html` template is
 * escaped unless it is itself `Html` (built by this module); provider data (logins, names, URLs,
 * error messages) is attacker-controlled and can only ever land as text. Links to provider pages
 * go through `safeHref`, which allows http(s) only.
 */
import { htmlText, safeHttpUrl } from '../core/text.js';

/** A fragment of HTML that is safe to emit as it is. */
export class Html {
  readonly #text: string;
  constructor(text: string) {
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

/**
 * Escapes text for an HTML element body or a quoted attribute value: the shared provider-text
 * escape (src/core/text.ts), which also shows control and bidi characters as visible escapes.
 */
export function escapeHtml(text: string): string {
  return htmlText(text);
}

/** What an `html` template accepts between `${}`. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: the literal parts are trusted markup, every value is escaped. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** The URL when it is an absolute http(s) URL without user info (src/core/text.ts), else undefined. */
export function safeHref(url: string | null | undefined): string | undefined {
  return safeHttpUrl(url) ?? undefined;
}

/** A query string for an in-console link, from defined values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
