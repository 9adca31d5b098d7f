/**
 * Prometheus metrics (prom-client), on a registry of the App's own: never the library's global
 * default registry, so two apps in one process (tests) never share counters.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ChangeEvent } from '../core/types.js';

export interface ScanObservation {
  monitorId: string;
  provider: string;
  status: string;
  seconds: number;
  events: readonly ChangeEvent[];
}

/** How one session kill ended, for `mfawatch_kills_total`. */
export type KillResult = 'complete' | 'incomplete' | 'dry_run' | 'interrupted';

export interface KillObservation {
  origin: 'auto' | 'manual';
  result: KillResult;
  /** Each service's outcome (none for an interrupted kill). */
  services: ReadonlyArray<{ responder: string; outcome: string }>;
}

/** The metrics mfawatch exports at /metrics. */
export class Metrics {
  readonly registry: Registry;
  readonly scans: Counter<'monitor' | 'result'>;
  readonly scanDuration: Histogram<'monitor'>;
  readonly accounts: Gauge<'monitor' | 'scope'>;
  readonly accountsWithoutMfa: Gauge<'monitor' | 'scope'>;
  readonly events: Counter<'monitor' | 'type' | 'severity'>;
  readonly deliveries: Counter<'result'>;
  readonly rateLimitRemaining: Gauge<'monitor'>;
  readonly lastSuccess: Gauge<'monitor' | 'scope'>;
  readonly kills: Counter<'origin' | 'result'>;
  readonly killServices: Counter<'responder' | 'outcome'>;
  readonly killsBlocked: Counter<'guard'>;
  readonly eventsReceived: Counter<'monitor' | 'source' | 'result'>;
  readonly detectionLag: Histogram<'monitor' | 'source'>;
  readonly eventSourceOff: Gauge<'monitor' | 'source'>;

  constructor() {
    const registry = new Registry();
    this.registry = registry;
    const registers = [registry];
    this.scans = new Counter({ name: 'mfawatch_scans_total', help: 'Scans by monitor instance and result (succeeded, failed, abandoned, held).', labelNames: ['monitor', 'result'], registers });
    this.scanDuration = new Histogram({ name: 'mfawatch_scan_duration_seconds', help: 'Wall time of one scan of one scope.', labelNames: ['monitor'], buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600], registers });
    this.accounts = new Gauge({ name: 'mfawatch_accounts', help: 'Accounts stored per monitor scope after the last committed scan.', labelNames: ['monitor', 'scope'], registers });
    this.accountsWithoutMfa = new Gauge({ name: 'mfawatch_accounts_without_mfa', help: 'Stored accounts whose MFA is disabled or weak.', labelNames: ['monitor', 'scope'], registers });
    this.events = new Counter({ name: 'mfawatch_events_total', help: 'Change and health events recorded, by type and severity.', labelNames: ['monitor', 'type', 'severity'], registers });
    this.deliveries = new Counter({ name: 'mfawatch_deliveries_total', help: 'Delivery attempts by result (sent, failed, retrying).', labelNames: ['result'], registers });
    this.rateLimitRemaining = new Gauge({ name: 'mfawatch_provider_rate_limit_remaining', help: "The provider's remaining request budget as last reported.", labelNames: ['monitor'], registers });
    this.kills = new Counter({ name: 'mfawatch_kills_total', help: 'Session kills run, by origin (auto, manual) and result (complete, incomplete: a service failed, dry_run, interrupted: mfawatch stopped mid-kill).', labelNames: ['origin', 'result'], registers });
    this.killServices = new Counter({ name: 'mfawatch_kill_service_results_total', help: 'Per-service results of session kills (succeeded, failed, not_found, unsupported, skipped).', labelNames: ['responder', 'outcome'], registers });
    this.killsBlocked = new Counter({ name: 'mfawatch_kills_blocked_total', help: 'Automatic kills a guard held back, by guard (exempt, no_identity, mass_change, cooldown, max_per_run, max_per_day).', labelNames: ['guard'], registers });
    this.eventsReceived = new Counter({ name: 'mfawatch_events_received_total', help: 'Provider events received by event sources, by result (accepted, duplicate, ignored_<reason> with reason unknown_scope, malformed, foreign or irrelevant; a pushed request refused: unauthorized, unsupported_media_type, bad_request; poll_failed, source_off, verified, verify_failed).', labelNames: ['monitor', 'source', 'result'], registers });
    this.detectionLag = new Histogram({ name: 'mfawatch_detection_lag_seconds', help: "From the provider's time of an event to its change event being committed and its alert queued.", labelNames: ['monitor', 'source'], buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600], registers });
    this.eventSourceOff = new Gauge({ name: 'mfawatch_event_source_disabled', help: 'Event sources of the configured monitors: 1 while the provider refuses the source for good (a licence the tenant lacks; `mfawatch status` says why), else 0.', labelNames: ['monitor', 'source'], registers });
    this.lastSuccess = new Gauge({ name: 'mfawatch_last_successful_scan_timestamp_seconds', help: 'When the scope last had a committed scan (Unix time).', labelNames: ['monitor', 'scope'], registers });
  }

  /** Records one finished scan. */
  recordScan(s: ScanObservation): void {
    this.scans.inc({ monitor: s.monitorId, result: s.status });
    this.scanDuration.observe({ monitor: s.monitorId }, s.seconds);
    for (const e of s.events) this.events.inc({ monitor: e.monitorId, type: e.type, severity: e.severity });
  }

  /** Records one finished (or interrupted) session kill. */
  recordKill(k: KillObservation): void {
    this.kills.inc({ origin: k.origin, result: k.result });
    for (const s of k.services) this.killServices.inc({ responder: s.responder, outcome: s.outcome });
  }

  /** Records a dispatcher pass. */
  recordDeliveries(t: { sent: number; failed: number; retrying: number }): void {
    for (const result of ['sent', 'failed', 'retrying'] as const) if (t[result] > 0) this.deliveries.inc({ result }, t[result]);
  }
}
