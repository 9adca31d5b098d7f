/**
 * The frame of every console page and the small pieces pages share (badges, times, forms with
 * their CSRF token). Pages are plain HTML forms and links: everything works without JavaScript.
 */
import { displayTimeFormatter } from '../core/display-time.js';
import type { ConsoleRole } from '../../storage/console.js';
import { html, query, type Html, type HtmlValue } from './html.js';

/** The person a page is rendered for. */
export interface Viewer {
  /** An email (OIDC) or "link#ID/USER" (one-time link). */
  identity: string;
  role: ConsoleRole;
  via: 'oidc' | 'link';
  /** The session's synchronizer token, put into every form. */
  csrf: string;
  /** Who the audit log names: "console:<identity>". */
  actor: string;
  /** When they last authenticated (for kills and accepts). */
  authAt: Date;
}

const NAV: Array<[string, string]> = [
  ['/', 'Overview'],
  ['/accounts', 'Accounts'],
  ['/events', 'Events'],
  ['/kills', 'Kills'],
  ['/deliveries', 'Deliveries'],
  ['/audit', 'Audit'],
];

/** A whole page. `viewer` undefined: the signed-out frame (sign-in, errors). */
export function page(title: string, viewer: Viewer | undefined, body: HtmlValue, here = ''): Html {
  const nav = viewer
    ? html`<nav>${NAV.map(([href, label]) => html`<a href="${href}"${href === here ? html` class="here" aria-current="page"` : ''}>${label}</a>`)}</nav>
<div class="who"><span>${viewer.identity}</span><span class="badge">${viewer.role}</span>${postForm('/signout', {}, viewer, html`<button type="submit">Sign out</button>`, 'inline')}</div>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · mfawatch</title>
<link rel="stylesheet" href="/static/console.css">
</head>
<body>
<header class="top"><span class="brand">mfawatch</span>${nav}</header>
<main>
<h1>${title}</h1>
${body}
</main>
</body>
</html>
`;
}

/** A POST form carrying the session's CSRF token and the given hidden fields. */
export function postForm(action: string, fields: Record<string, string | undefined>, viewer: Viewer, inner: HtmlValue, cls = ''): Html {
  return html`<form method="post" action="${action}"${cls ? html` class="${cls}"` : ''}><input type="hidden" name="_csrf" value="${viewer.csrf}">${Object.entries(fields).map(([k, v]) => (v === undefined ? '' : html`<input type="hidden" name="${k}" value="${v}">`))}${inner}</form>`;
}

/** A coloured label for a state word (mfa state, scan status, severity, outcome). */
export function badge(word: string): Html {
  return html`<span class="badge ${word.replace(/[^a-z_]/g, '')}">${word}</span>`;
}

/** A timestamp for people: a `<time>` element, its text in the display zone, its `datetime` UTC ISO. */
export type TimeHtml = (iso: string | null | undefined) => Html;

/** Timestamps as text in `zone` (config `displayTimezone`, zone named), with the UTC ISO form in `datetime` for machines. */
export function timeIn(zone: string | undefined): TimeHtml {
  const format = displayTimeFormatter(zone);
  return (iso) => (iso ? html`<time datetime="${iso}">${format(iso)}</time>` : html`<span class="muted">never</span>`);
}

/** The console link to an account. */
export function accountHref(monitorId: string, scope: string, accountId: string): string {
  return `/account${query({ monitor: monitorId, scope, id: accountId })}`;
}

/** The console link to a person. */
export function personHref(identity: string): string {
  return `/person${query({ identity })}`;
}

/** "monitor" or "monitor/scope". */
export function place(monitorId: string, scope: string): string {
  return scope ? `${monitorId}/${scope}` : monitorId;
}
