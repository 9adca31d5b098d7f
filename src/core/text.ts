/**
 * Provider text is hostile input: a login, display name, e-mail, URL or error body comes from
 * whoever controls the account or the provider. This module is the one place that makes such text
 * safe to show, for every output that is not JSON:
 *
 * - `visible`: control characters (C0, DEL, C1), line and paragraph separators and bidirectional
 *   overrides, embeddings, isolates and marks become visible escapes (`\x1b`, `\n`, `\u202e`), so a
 *   login can neither move the cursor, clear a screen, add an OSC 8 hyperlink, overwrite a row
 *   (CR), forge a line (LF) nor reverse the text around it (U+202E). Every channel escape below
 *   applies it first.
 * - `safeHttpUrl`: only http(s) URLs without user info, parsed and re-serialised; anything else
 *   is dropped and the text is shown without a link.
 * - `slackText` / `slackLink`: Slack mrkdwn (&, <, > as entities; | kept out of link targets).
 * - `teamsText`: Adaptive Card TextBlock / Fact markdown (CommonMark backslash escapes).
 * - `htmlText`: HTML text and attribute values.
 *
 * JSON outputs (`--json`, the webhook and stdout notifiers) keep provider values byte-exact:
 * JSON.stringify already escapes control characters there.
 */

/** Characters shown as escapes: C0 controls, DEL, C1 controls, ALM, LRM/RLM, LS/PS, bidi embeddings/overrides/isolates. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const short = SHORT[c];
  if (short) return short;
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

const UNSAFE_ANY = new RegExp(UNSAFE.source);

/** True when `text` holds a character `visible` would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  return UNSAFE_ANY.test(text);
}

/** Shows control and bidi characters as visible escapes ("\x1b", "\n", "\u202e"); all other text unchanged. */
export function visible(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/**
 * `visible` on each line of text that mfawatch composed of lines (a kill announcement, a held-back
 * list): its own line breaks stay, every other control and bidi character is escaped. The provider
 * values inside must already have passed `visible` where the lines were composed, or one of them
 * could still add a line.
 */
export function visibleLines(text: string): string {
  return text.split('\n').map(visible).join('\n');
}

/**
 * A copy of `value` with `visible` applied to every string in it (objects and arrays, deeply), for
 * renderers that lay out whole records (status reports, event rows) on a terminal.
 */
export function visibleDeep<T>(value: T): T {
  if (typeof value === 'string') return visible(value) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => visibleDeep(v)) as T;
  if (value !== null && typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value) as object | null)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = visibleDeep(v);
    return out as T;
  }
  return value;
}

/**
 * The URL re-serialised when it is an absolute http: or https: URL without user info, else null.
 * `javascript:`, `data:`, relative and unparseable URLs, and `https://github.com@evil.example/`
 * (a host hidden behind user info) are dropped; the caller shows its text without a link.
 */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username || parsed.password || !parsed.hostname) return null;
  return parsed.href;
}

/**
 * Slack mrkdwn text: `visible`, then &, < and > as the entities Slack documents
 * (https://api.slack.com/reference/surfaces/formatting#escaping). Without a raw < no link,
 * mention (`<!channel>`, `<@U…>`) or channel reference can form; without a raw newline no line
 * (or block quote) can be forged.
 */
export function slackText(text: string): string {
  return visible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A Slack link `<url|label>` when the URL is http(s), else the label alone. The label is escaped
 * as text; the URL is re-serialised (so < > " and spaces are percent-encoded), `|` is
 * percent-encoded so it cannot end the target early, and & < > are entity-escaped as in all text.
 */
export function slackLink(url: string | null | undefined, label: string): string {
  const safe = safeHttpUrl(url);
  if (!safe) return slackText(label);
  const target = safe.replace(/\|/g, '%7C').replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E');
  return `<${target}|${slackText(label)}>`;
}

/**
 * Adaptive Card markdown text (TextBlock.text, Fact.title, Fact.value): `visible`, then a
 * CommonMark backslash escape before every character the Teams markdown subset (bold, italic,
 * lists, links) or CommonMark autolinks and entities could use, and before a leading list marker.
 * https://learn.microsoft.com/adaptive-cards/authoring-cards/text-features
 */
export function teamsText(text: string): string {
  return visible(text)
    .replace(/[\\`*_~[\]<>&{}]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([-+]|\d+[.)])(?=\s)/, (_m, space: string, marker: string) => `${space}${marker.replace(/([-+.)])$/, '\\$1')}`);
}

/** HTML text or a double-quoted attribute value: `visible`, then & < > " ' as entities. */
export function htmlText(text: string): string {
  return visible(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}
