/**
 * What routing matchers ask of the providers beyond the event itself (src/delivery/matchers.ts):
 * group memberships (GitHub teams, Okta groups, Google groups) and where an AWS account sits in
 * its organization (its OU chain and the OUs' tags). Read once per scan of a monitor, with that
 * monitor's own credentials, by the readers in src/delivery/directories/; asked synchronously
 * while events are routed.
 *
 * The failure rule, the same for every kind: what could not be read yet is *unknown*, and an
 * unknown group or placement matches every account of its monitor (an alert twice beats none).
 * Each failure is logged as a warning naming the group and what to fix; a later read that fails
 * keeps the last good answer.
 *
 * A refresh is awaited before the event drain and before every scan, so it has an overall
 * deadline (REFRESH_DEADLINE_MS): what is not read by then is left unread this time (unknown, or
 * its last good answer) and a warning names it, rather than holding alerts behind a slow provider.
 */
import { timeoutSignal } from '../core/abort.js';
import type { Logger } from '../core/deps.js';
import { formatDurationExact } from '../core/duration.js';

/**
 * How long one refresh may take in all. 30 s is the default per-request timeout of the monitors
 * and of delivery (delivery.timeout), and half the default delivery.runDeadline: a directory read
 * slower than one request's timeout in all would eat into the time a `run` has to deliver its
 * alerts, and an unknown group only widens who hears (the failure rule above), never silences.
 */
export const REFRESH_DEADLINE_MS = 30_000;

/** The kinds of group a matcher can name (its config key). */
export type GroupKind = 'githubTeams' | 'oktaGroups' | 'googleGroups';

/**
 * What a group read returns when the group holds every account of its monitor: a Google group
 * with the whole customer (the domain, member type CUSTOMER) as a member.
 */
export const EVERY_ACCOUNT = 'every-account';

/** A group's members: ids, logins and e-mail addresses, lower-cased; or every account of its monitor. */
export type GroupMembers = ReadonlySet<string> | typeof EVERY_ACCOUNT;

/** An account as routing sees it: ids and names at its monitor. */
export interface RoutedAccount {
  monitorId: string;
  accountId: string;
  login: string;
  email: string | null;
}

/** One group a matcher names, as one monitor reads it. */
export interface GroupReader {
  kind: GroupKind;
  /** The group as the matcher writes it ("acme/payments", "okta/Payments", "payments@example.com"). */
  name: string;
  /** The monitor whose accounts the group holds, and whose credentials read it. */
  monitorId: string;
  /** For warnings: "GitHub team acme/payments". */
  label: string;
  /** What the operator should check when the read fails (scopes, permissions). */
  fix: string;
  /** Every member: ids, logins and e-mail addresses, lower-cased (or EVERY_ACCOUNT). */
  read(signal?: AbortSignal): Promise<GroupMembers>;
}

/** Where an AWS account sits: its parents up to the root, and the tags those carry. */
export interface AccountPlacement {
  /** OU ids from the account's parent up, then the root id. */
  ancestors: string[];
  /** key → the values it has on any of the ancestors. */
  tags: Map<string, Set<string>>;
}

/** The AWS Organizations reader of one aws-iam monitor with `organization`. */
export interface PlacementReader {
  monitorId: string;
  /** What the operator should check when the read fails. */
  fix: string;
  /** The accounts to place this scan (the monitor's scopes). */
  accounts(): readonly string[];
  /** Places every account it can; per-account failures are returned, not thrown. */
  read(accountIds: readonly string[], signal?: AbortSignal): Promise<{ placed: Map<string, AccountPlacement>; failed: Array<{ accountId: string; error: Error }> }>;
}

const groupKey = (kind: GroupKind, name: string) => `${kind}:${name.toLowerCase()}`;

/** The answers of every reader, refreshed per scan and asked while routing. */
export class RoutingDirectory {
  readonly #groups: readonly GroupReader[];
  readonly #placements: readonly PlacementReader[];
  readonly #logger: Logger;
  /** `${kind}:${name}` → monitor id → members. */
  readonly #members = new Map<string, Map<string, GroupMembers>>();
  /** monitor id → account id → placement. */
  readonly #placed = new Map<string, Map<string, AccountPlacement>>();

  readonly #deadlineMs: number;
  /** Readers the last refresh's deadline cut off: a `missingOnly` pass does not wait for them again. */
  readonly #cutOff = new Set<GroupReader | PlacementReader>();

  /** `deadlineMs`: the overall deadline of one refresh (default REFRESH_DEADLINE_MS). */
  constructor(groups: readonly GroupReader[], placements: readonly PlacementReader[], logger: Logger, options: { deadlineMs?: number | undefined } = {}) {
    this.#groups = groups;
    this.#placements = placements;
    this.#logger = logger;
    this.#deadlineMs = options.deadlineMs ?? REFRESH_DEADLINE_MS;
  }

  /**
   * Reads what the matchers name at these monitors (all when omitted): a scan of a monitor needs
   * only its own groups, since a group matches only accounts of the monitor it was read at.
   * `missingOnly`: only what was never read (groups never read, accounts never placed), for a
   * second pass in the same cycle once new scopes are known; it skips what the deadline of the
   * pass before cut off (that would hold the scans for another deadline).
   */
  async refresh(signal?: AbortSignal, monitorIds?: readonly string[], options: { missingOnly?: boolean } = {}): Promise<void> {
    const wanted = (id: string) => !monitorIds || monitorIds.includes(id);
    const deadline = timeoutSignal(this.#deadlineMs);
    const readSignal = signal ? AbortSignal.any([signal, deadline]) : deadline;
    // Resolves when the deadline passes: a reader that does not heed its signal is not waited for either.
    const expired = new Promise<'expired'>((resolve) => {
      if (deadline.aborted) resolve('expired');
      else deadline.addEventListener('abort', () => resolve('expired'), { once: true });
    });
    const untilDeadline = async <T>(read: Promise<T>): Promise<{ value: T } | 'expired'> => {
      read.catch(() => undefined); // a read still running after the deadline fails unobserved
      return Promise.race([read.then((value) => ({ value })), expired]);
    };
    /** What the deadline left unread: labels, by monitor. */
    const unread: Array<{ monitorId: string; label: string }> = [];
    /** Whether to leave this reader out: cut off before, in a missingOnly pass. Else it is tried afresh. */
    const skip = (r: GroupReader | PlacementReader) => {
      if (options.missingOnly && this.#cutOff.has(r)) return true;
      this.#cutOff.delete(r);
      return false;
    };
    const cut = (r: GroupReader | PlacementReader, u: { monitorId: string; label: string }) => {
      this.#cutOff.add(r);
      unread.push(u);
    };
    for (const g of this.#groups) {
      if (!wanted(g.monitorId) || signal?.aborted) continue;
      if (options.missingOnly && this.#members.get(groupKey(g.kind, g.name))?.has(g.monitorId)) continue;
      if (skip(g)) continue;
      if (deadline.aborted) {
        cut(g, { monitorId: g.monitorId, label: g.label });
        continue;
      }
      try {
        const read = await untilDeadline(g.read(readSignal));
        if (read === 'expired') {
          cut(g, { monitorId: g.monitorId, label: g.label });
          continue;
        }
        const key = groupKey(g.kind, g.name);
        const byMonitor = this.#members.get(key) ?? new Map<string, GroupMembers>();
        byMonitor.set(g.monitorId, read.value);
        this.#members.set(key, byMonitor);
      } catch (err) {
        if (deadline.aborted && !signal?.aborted) {
          cut(g, { monitorId: g.monitorId, label: g.label });
          continue;
        }
        this.#logger.warn({ group: g.name, kind: g.kind, monitor: g.monitorId }, `cannot read the members of ${g.label} for notifier routing (${(err as Error).message}); until it can, its matchers take every account of ${g.monitorId}. Check ${g.fix}`);
      }
    }
    for (const p of this.#placements) {
      if (!wanted(p.monitorId) || signal?.aborted) continue;
      const accounts = options.missingOnly ? p.accounts().filter((id) => !this.#placed.get(p.monitorId)?.has(id)) : p.accounts();
      if (accounts.length === 0 || skip(p)) continue;
      const label = `the AWS organization OUs of ${accounts.length} account(s) at ${p.monitorId}`;
      if (deadline.aborted) {
        cut(p, { monitorId: p.monitorId, label });
        continue;
      }
      try {
        const read = await untilDeadline(p.read(accounts, readSignal));
        if (read === 'expired') {
          cut(p, { monitorId: p.monitorId, label });
          continue;
        }
        const { placed, failed } = read.value;
        const known = this.#placed.get(p.monitorId) ?? new Map<string, AccountPlacement>();
        for (const [id, placement] of placed) known.set(id, placement);
        this.#placed.set(p.monitorId, known);
        const first = failed[0];
        if (first) {
          this.#logger.warn({ monitor: p.monitorId, accounts: failed.map((f) => f.accountId) }, `cannot read where ${failed.length} AWS account(s) sit in the organization for notifier routing (${first.accountId}: ${first.error.message}); until it can, OU matchers take those accounts. Check ${p.fix}`);
        }
      } catch (err) {
        if (deadline.aborted && !signal?.aborted) {
          cut(p, { monitorId: p.monitorId, label });
          continue;
        }
        this.#logger.warn({ monitor: p.monitorId }, `cannot read the AWS organization's OUs for notifier routing (${(err as Error).message}); until it can, OU matchers take every account of ${p.monitorId}. Check ${p.fix}`);
      }
    }
    if (unread.length > 0) {
      const monitors = [...new Set(unread.map((u) => u.monitorId))];
      this.#logger.warn(
        { monitors, unread: unread.map((u) => u.label) },
        `reading notifier routing groups took longer than ${formatDurationExact(this.#deadlineMs)}; not read this time: ${unread.map((u) => u.label).join('; ')}. Alerts are not held for them: until a read finishes in time, their matchers take every account of ${monitors.join(', ')} (an answer read earlier is kept). Check that the provider answers promptly and is not throttling mfawatch`,
      );
    }
  }

  /**
   * Whether the account is a member of the group: false when the group is not read at the
   * account's monitor, undefined while it is unknown there (it could not be read yet).
   */
  inGroup(kind: GroupKind, name: string, account: RoutedAccount): boolean | undefined {
    const readers = this.#groups.filter((g) => g.kind === kind && g.name.toLowerCase() === name.toLowerCase() && g.monitorId === account.monitorId);
    if (readers.length === 0) return false;
    const members = this.#members.get(groupKey(kind, name))?.get(account.monitorId);
    if (!members) return undefined;
    if (members === EVERY_ACCOUNT) return true;
    return [account.accountId, account.login, account.email].some((k) => !!k && members.has(k.toLowerCase()));
  }

  /** The placement of an AWS account: null when its monitor reads no organization, undefined while unknown. */
  placementOf(monitorId: string, accountId: string): AccountPlacement | null | undefined {
    if (!this.#placements.some((p) => p.monitorId === monitorId)) return null;
    return this.#placed.get(monitorId)?.get(accountId);
  }
}
