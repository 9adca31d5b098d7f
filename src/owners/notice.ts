/**
 * What an owner is told, as plain fields composed from one event (pure), and how each channel
 * shows them. Everything that came from a provider (login, factor names, the event summary) is
 * escaped for the channel at render time with src/core/text.ts: the e-mail's HTML part with
 * htmlText, its text part and SMS with visible, Slack with slackText/slackLink.
 *
 * A notice names only the recipient's own account: it is built from that one account's event.
 */
import { displayTimeFormatter } from '../core/display-time.js';
import { htmlText, safeHttpUrl, slackLink, slackText, visible } from '../core/text.js';
import type { ChangeEvent } from '../core/types.js';
import { formatDuration } from '../core/duration.js';

/** The provider's own page where a person turns MFA on or reviews devices and keys, per monitor type. */
const SELF_SERVICE: Record<string, { mfa: string; review: string }> = {
  github: { mfa: 'https://github.com/settings/security', review: 'https://github.com/settings/security' },
  'aws-iam': { mfa: 'https://console.aws.amazon.com/iam/home#/security_credentials', review: 'https://console.aws.amazon.com/iam/home#/security_credentials' },
  'google-workspace': { mfa: 'https://myaccount.google.com/signinoptions/two-step-verification', review: 'https://myaccount.google.com/security' },
  entra: { mfa: 'https://mysignins.microsoft.com/security-info', review: 'https://mysignins.microsoft.com/security-info' },
  gitlab: { mfa: 'https://gitlab.com/-/user_settings/two_factor_auth', review: 'https://gitlab.com/-/user_settings/active_sessions' },
  slack: { mfa: 'https://slack.com/account/settings#two_factor', review: 'https://slack.com/account/settings' },
};

export type NoticeKind = 'notice' | 'reminder' | 'thanks';

/** One notice, composed (raw text; channels escape it). */
export interface OwnerNotice {
  kind: NoticeKind;
  /** One line: "Action needed: two-factor authentication is off on your GitHub account carol". */
  subject: string;
  /** What happened, in plain words (the event's summary). */
  what: string;
  /** "GitHub acme, account carol". */
  where: string;
  /** ISO time of the change. */
  when: string;
  /** What to do, one or two sentences. */
  todo: string;
  /** The provider's page for it, when known. */
  todoUrl: string | null;
  /** ISO time by which to act; null when nothing is asked. */
  deadline: string | null;
  /** How to reach the security team. */
  contact: string;
  /** "Was this you?" links. */
  links: { yes: string; no: string } | null;
}

const SUBJECT: Record<string, string> = {
  mfa_disabled: 'two-factor authentication was turned off on your {where} account',
  mfa_weakened: 'two-factor authentication on your {where} account now relies on a weak method only',
  account_added: 'your new {where} account has no two-factor authentication',
  factor_added: 'a new two-factor device was registered on your {where} account',
  credential_added: 'a new long-lived credential was added to your {where} account',
  signin_without_mfa: 'someone signed in to your {where} account without two-factor authentication',
};

/**
 * A time for the person: in the organisation's display zone, with UTC beside it when that zone is
 * not UTC ("2026-11-23 11:00 GMT+1 (10:00 UTC)"), since the person may be anywhere.
 */
function personTime(zone: string | undefined): (iso: string) => string {
  const local = displayTimeFormatter(zone);
  const utc = displayTimeFormatter('UTC');
  return (iso) => {
    const here = local(iso);
    const there = utc(iso);
    if (here === there || here === iso) return here;
    return `${here} (${there.slice(0, 10) === here.slice(0, 10) ? there.slice(11) : there})`;
  };
}

/** True for the event types whose case closes when MFA is back (the others ask "was this you?"). */
export function needsMfa(type: string): boolean {
  return type === 'mfa_disabled' || type === 'mfa_weakened' || type === 'account_added';
}

/** Composes the first notice (or, with `kind`, the reminder or thanks) about one event of the recipient's own account. */
export function composeNotice(input: {
  kind: NoticeKind;
  event: Pick<ChangeEvent, 'type' | 'summary' | 'at' | 'login'>;
  monitorType: string;
  /** "GitHub acme". */
  place: string;
  deadline: Date | null;
  deadlineMs: number;
  contact: string;
  links: { yes: string; no: string } | null;
  accountUrl: string | null;
  /** The display zone (config `displayTimezone`) for the times a person reads. */
  displayTimezone?: string | undefined;
}): OwnerNotice {
  const { event, place } = input;
  const time = personTime(input.displayTimezone);
  const login = event.login ?? '';
  const where = `${place}, account ${login}`;
  const pages = SELF_SERVICE[input.monitorType];
  const fix = needsMfa(event.type);
  const base = (SUBJECT[event.type] ?? 'a security change on your {where} account').replace('{where}', place);
  if (input.kind === 'thanks') {
    return {
      kind: 'thanks', subject: `Thank you: two-factor authentication is back on your ${place} account`, what: `Two-factor authentication is on again for ${login}. Nothing more is needed.`,
      where, when: time(event.at), todo: 'Nothing to do.', todoUrl: null, deadline: null, contact: input.contact, links: null,
    };
  }
  const todo = fix
    ? `Turn two-factor authentication back on (a security key or an authenticator app) before the deadline${pages ? ' on this page' : ' in your account settings at the provider'}.`
    : input.links
      ? 'If this was you, answer "yes, it was me". If it was not, answer "no, it wasn\'t me" at once: the security team is told and your sessions may be ended. Then review your devices and keys.'
      : 'If this was not you, contact the security team at once and review your devices and keys.';
  return {
    kind: input.kind,
    subject: `${input.kind === 'reminder' ? 'Reminder: ' : fix ? 'Action needed: ' : 'Was this you? '}${base}`,
    what: event.summary,
    where,
    when: time(event.at),
    todo,
    todoUrl: (fix ? pages?.mfa : pages?.review) ?? safeHttpUrl(input.accountUrl),
    deadline: input.deadline ? time(input.deadline.toISOString()) : null,
    contact: input.contact,
    links: input.links,
  };
}

function deadlineLine(n: OwnerNotice): string | null {
  return n.deadline ? `Deadline: ${n.deadline}. After that the security team is told that it is still open.` : null;
}

/** Plain text (the e-mail's text part): every line through `visible`. */
export function noticeText(n: OwnerNotice): string {
  const lines = [
    visible(n.subject),
    '',
    `What happened: ${visible(n.what)}`,
    `Where: ${visible(n.where)}`,
    `When: ${visible(n.when)}`,
    `What to do: ${visible(n.todo)}`,
    ...(n.todoUrl ? [`  ${visible(n.todoUrl)}`] : []),
    ...(deadlineLine(n) ? [deadlineLine(n) ?? ''] : []),
    ...(n.links ? ['', `Yes, it was me: ${visible(n.links.yes)}`, `No, it wasn't me: ${visible(n.links.no)}`] : []),
    '',
    `Questions, or if something looks wrong: ${visible(n.contact)}`,
    'This message is about your own account only. mfawatch will never ask for your password or codes.',
  ];
  return lines.join('\n');
}

/** The e-mail's HTML part: every value through htmlText; links only for http(s) URLs. */
export function noticeHtml(n: OwnerNotice): string {
  const a = (url: string, label: string) => `<a href="${htmlText(url)}">${htmlText(label)}</a>`;
  const rows: Array<[string, string]> = [
    ['What happened', htmlText(n.what)],
    ['Where', htmlText(n.where)],
    ['When', htmlText(n.when)],
    ['What to do', `${htmlText(n.todo)}${n.todoUrl && safeHttpUrl(n.todoUrl) ? `<br>${a(n.todoUrl, n.todoUrl)}` : ''}`],
  ];
  if (n.deadline) rows.push(['Deadline', htmlText(n.deadline)]);
  const links = n.links ? `<p>${a(n.links.yes, 'Yes, it was me')} &nbsp; | &nbsp; ${a(n.links.no, "No, it wasn't me")}</p>` : '';
  return (
    `<!doctype html><html><body style="font-family:sans-serif"><h2>${htmlText(n.subject)}</h2>` +
    `<table>${rows.map(([k, v]) => `<tr><td style="padding:2px 12px 2px 0;color:#555;vertical-align:top">${k}</td><td>${v}</td></tr>`).join('')}</table>` +
    links +
    `<p>Questions, or if something looks wrong: ${htmlText(n.contact)}</p>` +
    '<p style="color:#888;font-size:small">This message is about your own account only. mfawatch will never ask for your password or codes.</p></body></html>'
  );
}

/** Slack mrkdwn for a direct message: text through slackText, links through slackLink. */
export function noticeSlack(n: OwnerNotice): string {
  const lines = [
    `*${slackText(n.subject)}*`,
    `*What happened:* ${slackText(n.what)}`,
    `*Where:* ${slackText(n.where)}`,
    `*When:* ${slackText(n.when)}`,
    `*What to do:* ${slackText(n.todo)}${n.todoUrl ? ` ${slackLink(n.todoUrl, n.todoUrl)}` : ''}`,
    ...(n.deadline ? [`*Deadline:* ${slackText(n.deadline)}`] : []),
    ...(n.links ? [`${slackLink(n.links.yes, 'Yes, it was me')}  |  ${slackLink(n.links.no, "No, it wasn't me")}`] : []),
    `Questions: ${slackText(n.contact)}`,
  ];
  return lines.join('\n');
}

/** An SMS: short, plain, the deadline and the answer link when there is one. */
export function noticeSms(n: OwnerNotice, deadlineMs: number): string {
  const parts = [visible(n.subject) + '.'];
  if (n.deadline) parts.push(`Fix within ${formatDuration(deadlineMs)}.`);
  if (n.links) parts.push(`Not you? ${visible(n.links.no)}`);
  parts.push(`Help: ${visible(n.contact)}`);
  return parts.join(' ');
}
