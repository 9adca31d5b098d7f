/**
 * Versioned schema migrations, applied in order inside one transaction each; the version lives in
 * `PRAGMA user_version`. Never edit a shipped migration: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: state, history, scans, events, outbox, audit
  `
  CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    monitor_id    TEXT NOT NULL,
    scope         TEXT NOT NULL DEFAULT '',
    scope_label   TEXT NOT NULL DEFAULT '',
    provider      TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    status        TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'abandoned', 'held')),
    baseline      INTEGER NOT NULL DEFAULT 0,
    accounts      INTEGER,
    without_mfa   INTEGER,
    changes       INTEGER,
    requests      INTEGER NOT NULL DEFAULT 0,
    data_as_of    TEXT,
    error_reason  TEXT,
    error_message TEXT,
    warnings      TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX scans_by_monitor ON scans (monitor_id, scope, id);

  CREATE TABLE accounts (
    monitor_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    login        TEXT NOT NULL,
    email        TEXT,
    display_name TEXT,
    kind         TEXT NOT NULL,
    admin        INTEGER NOT NULL,
    mfa          TEXT NOT NULL,
    factors      TEXT NOT NULL DEFAULT '[]',
    url          TEXT,
    first_seen   TEXT NOT NULL,
    changed_at   TEXT NOT NULL,
    PRIMARY KEY (monitor_id, scope, account_id)
  ) WITHOUT ROWID;
  CREATE INDEX accounts_by_login ON accounts (login);
  CREATE INDEX accounts_by_email ON accounts (email);

  CREATE TABLE account_history (
    id         INTEGER PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    scan_id    INTEGER NOT NULL,
    at         TEXT NOT NULL,
    change     TEXT NOT NULL CHECK (change IN ('added', 'changed', 'removed')),
    login      TEXT NOT NULL,
    email      TEXT,
    kind       TEXT NOT NULL,
    admin      INTEGER NOT NULL,
    mfa        TEXT NOT NULL,
    factors    TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX history_by_account ON account_history (monitor_id, scope, account_id, id);

  CREATE TABLE events (
    id         INTEGER PRIMARY KEY,
    scan_id    INTEGER,
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    provider   TEXT NOT NULL,
    type       TEXT NOT NULL,
    severity   TEXT NOT NULL,
    at         TEXT NOT NULL,
    account_id TEXT,
    login      TEXT,
    summary    TEXT NOT NULL,
    before     TEXT,
    after      TEXT,
    detail     TEXT
  );
  CREATE INDEX events_by_time ON events (at);
  CREATE INDEX events_by_account ON events (monitor_id, scope, account_id);

  CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    notifier_id     TEXT NOT NULL,
    batch_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    sent_at         TEXT,
    last_error      TEXT,
    UNIQUE (notifier_id, batch_id)
  );
  CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

  CREATE TABLE outbox_events (
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    event_id  INTEGER NOT NULL REFERENCES events (id),
    PRIMARY KEY (event_id, outbox_id)
  ) WITHOUT ROWID;

  CREATE TABLE delivery_attempts (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
    at          TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    reason      TEXT,
    error       TEXT,
    duration_ms INTEGER NOT NULL
  );
  CREATE INDEX attempts_by_outbox ON delivery_attempts (outbox_id);

  CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT,
    detail    TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL
  );
  CREATE TRIGGER audit_is_append_only_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  CREATE TRIGGER audit_is_append_only_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
  `,
  // 2: acknowledgements, reminder digests, notifier health (notifiers issue)
  `
  CREATE TABLE acks (
    id         INTEGER PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    login      TEXT NOT NULL,
    at         TEXT NOT NULL,
    until      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL
  );
  CREATE INDEX acks_by_account ON acks (monitor_id, scope, account_id, until);

  CREATE TABLE reminder_digests (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    accounts INTEGER NOT NULL,
    acknowledged INTEGER NOT NULL
  );

  CREATE TABLE notifier_health (
    notifier_id          TEXT PRIMARY KEY,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    failing_since        TEXT,
    last_error           TEXT,
    alerted_at           TEXT
  ) WITHOUT ROWID;
  `,
  // 3: session-invalidation responses (auto-response outbox and manual kills)
  `
  CREATE TABLE responses (
    id          INTEGER PRIMARY KEY,
    identity    TEXT NOT NULL,
    origin      TEXT NOT NULL CHECK (origin IN ('auto', 'manual')),
    status      TEXT NOT NULL CHECK (status IN ('scheduled', 'running', 'done', 'blocked', 'cancelled', 'interrupted')),
    dry_run     INTEGER NOT NULL,
    event_id    INTEGER REFERENCES events (id),
    scan_id     INTEGER,
    monitor_id  TEXT,
    account     TEXT,
    reason      TEXT,
    created_at  TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    claimed_at  TEXT,
    finished_at TEXT,
    only        TEXT,
    results     TEXT,
    ok          INTEGER,
    actor       TEXT NOT NULL
  );
  CREATE INDEX responses_due ON responses (status, due_at);
  CREATE INDEX responses_by_identity ON responses (identity, created_at);
  `,
  // 4: reliability: held (mass-change) scans, the single-instance lease, health-alert dedupe
  `
  CREATE TABLE held_scans (
    scan_id     INTEGER PRIMARY KEY REFERENCES scans (id),
    monitor_id  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    change_keys TEXT NOT NULL DEFAULT '[]',
    summary     TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    held_at     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('held', 'committed', 'discarded')),
    resolved_at TEXT
  );
  CREATE INDEX held_by_monitor ON held_scans (monitor_id, scope, status);

  CREATE TABLE held_accounts (
    scan_id      INTEGER NOT NULL REFERENCES held_scans (scan_id),
    account_id   TEXT NOT NULL,
    login        TEXT NOT NULL,
    email        TEXT,
    display_name TEXT,
    kind         TEXT NOT NULL,
    admin        INTEGER NOT NULL,
    mfa          TEXT NOT NULL,
    factors      TEXT NOT NULL,
    url          TEXT,
    PRIMARY KEY (scan_id, account_id)
  ) WITHOUT ROWID;

  CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    host        TEXT NOT NULL,
    command     TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
  );

  CREATE TABLE health_alerts (
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    at         TEXT NOT NULL,
    PRIMARY KEY (monitor_id, scope, kind)
  ) WITHOUT ROWID;
  `,
  // 5: stored counts per MFA state (status, the end of every scan) read a covering index instead
  // of every account row: 0.5 s → 0.15 s for a million accounts.
  `CREATE INDEX accounts_by_state ON accounts (monitor_id, scope, mfa, admin);`,
  // Removals waiting for a second scan (storage/pending-removals.ts): an account missing from a
  // listing the provider gave no count for is removed only when the next complete scan agrees.
  `CREATE TABLE pending_removals (
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    account_id TEXT NOT NULL,
    scan_id    INTEGER NOT NULL,
    since      TEXT NOT NULL,
    PRIMARY KEY (monitor_id, scope, account_id)
  ) WITHOUT ROWID;`,
  // The process running a kill ("pid@host"), set with the claim: a kill whose process is gone
  // shows as interrupted at once (storage/responses.ts), not as running for twice the kill timeout.
  `ALTER TABLE responses ADD COLUMN owner TEXT;`,
  // web console (src/console): server-side sessions, so a sign-out or a revocation ends them at
  // once, and one-time sign-in links (`mfawatch console link`). Only hashes of the tokens are kept.
  `
  CREATE TABLE console_sessions (
    token_hash  TEXT PRIMARY KEY,
    identity    TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'responder')),
    via         TEXT NOT NULL CHECK (via IN ('oidc', 'link')),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    auth_at     TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
  ) WITHOUT ROWID;
  CREATE INDEX console_sessions_by_identity ON console_sessions (identity);

  CREATE TABLE console_links (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'responder')),
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
  );
  `,
  // issue 13, events: stored credentials; event sources' cursors and health; provider event
  // ids seen (dedupe, with retention); pending verification hints (coalesced per account);
  // the time of each account's last verified reading (a scan started before it does not
  // overwrite it); one row per event-driven commit (unique outbox batch ids).
  `
  ALTER TABLE accounts ADD COLUMN credentials TEXT;

  CREATE TABLE event_sources (
    monitor_id           TEXT NOT NULL,
    source               TEXT NOT NULL,
    kind                 TEXT NOT NULL CHECK (kind IN ('pull', 'push')),
    cursor               TEXT,
    last_poll_at         TEXT,
    last_ok_at           TEXT,
    last_event_at        TEXT,
    last_received_at     TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT,
    last_error_at        TEXT,
    next_poll_at         TEXT,
    received             INTEGER NOT NULL DEFAULT 0,
    duplicates           INTEGER NOT NULL DEFAULT 0,
    ignored              INTEGER NOT NULL DEFAULT 0,
    last_ignored         TEXT,
    requests             INTEGER NOT NULL DEFAULT 0,
    polls                INTEGER NOT NULL DEFAULT 0,
    refused              INTEGER NOT NULL DEFAULT 0,
    last_refused         TEXT,
    last_refused_at      TEXT,
    PRIMARY KEY (monitor_id, source)
  ) WITHOUT ROWID;

  CREATE TABLE seen_events (
    monitor_id TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    seen_at    TEXT NOT NULL,
    PRIMARY KEY (monitor_id, event_id)
  ) WITHOUT ROWID;
  CREATE INDEX seen_events_by_time ON seen_events (seen_at);

  CREATE TABLE event_hints (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id        TEXT NOT NULL,
    scope             TEXT NOT NULL,
    account_key       TEXT NOT NULL,
    account_id        TEXT,
    login             TEXT,
    topics            TEXT NOT NULL DEFAULT '[]',
    source            TEXT NOT NULL,
    event_ids         TEXT NOT NULL DEFAULT '[]',
    events            INTEGER NOT NULL DEFAULT 1,
    occurred_at       TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    due_at            TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_attempt_at   TEXT,
    last_error        TEXT,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'done')),
    outcome           TEXT,
    done_at           TEXT
  );
  CREATE UNIQUE INDEX event_hints_one_pending ON event_hints (monitor_id, scope, account_key) WHERE status = 'pending';
  CREATE INDEX event_hints_due ON event_hints (status, due_at);

  CREATE TABLE verified_accounts (
    monitor_id  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    present     INTEGER NOT NULL,
    PRIMARY KEY (monitor_id, scope, account_id)
  ) WITHOUT ROWID;
  CREATE INDEX verified_by_time ON verified_accounts (monitor_id, scope, verified_at);

  CREATE TABLE event_commits (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    monitor_id TEXT NOT NULL,
    scope      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('facts', 'verification')),
    at         TEXT NOT NULL
  );
  `,
  // (issue 15, owners): one case per account and event told to its owner (deadline, reminder,
  // escalation, answer); the owner outbox (one row per notice and channel, retried like the
  // outbox); the single-use answer links; key/value state (the link-signing key, the event cursor).
  `
  CREATE TABLE owner_cases (
    id           INTEGER PRIMARY KEY,
    monitor_id   TEXT NOT NULL,
    scope        TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    login        TEXT NOT NULL,
    provider     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    event_id     INTEGER NOT NULL,
    identity     TEXT,
    unreachable  TEXT,
    opened_at    TEXT NOT NULL,
    deadline_at  TEXT NOT NULL,
    reminded_at  TEXT,
    escalated_at TEXT,
    answer       TEXT CHECK (answer IN ('yes', 'no')),
    answered_at  TEXT,
    status       TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    closed_at    TEXT,
    close_reason TEXT
  );
  CREATE UNIQUE INDEX owner_cases_one_open ON owner_cases (monitor_id, scope, account_id, event_type) WHERE status = 'open';
  CREATE INDEX owner_cases_by_status ON owner_cases (status, deadline_at);

  CREATE TABLE owner_notices (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL REFERENCES owner_cases (id),
    kind            TEXT NOT NULL CHECK (kind IN ('notice', 'reminder', 'thanks')),
    channel         TEXT NOT NULL CHECK (channel IN ('email', 'slack', 'sms')),
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    sent_at         TEXT,
    UNIQUE (case_id, kind, channel)
  );
  CREATE INDEX owner_notices_due ON owner_notices (status, next_attempt_at);

  CREATE TABLE owner_links (
    nonce      TEXT PRIMARY KEY,
    case_id    INTEGER NOT NULL REFERENCES owner_cases (id),
    expires_at TEXT NOT NULL,
    used_at    TEXT
  ) WITHOUT ROWID;

  CREATE TABLE owner_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // q17: silences (matchers, expiry, reason) and the events they kept from the notifiers. No
  // foreign key on event_id: retention may delete old events without touching this table first.
  `
  CREATE TABLE silences (
    id          INTEGER PRIMARY KEY,
    matchers    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    ends_at     TEXT NOT NULL,
    expired_at  TEXT,
    expired_by  TEXT
  );
  CREATE INDEX silences_by_end ON silences (ends_at);

  CREATE TABLE silenced_events (
    event_id    INTEGER PRIMARY KEY,
    silence_id  INTEGER NOT NULL,
    at          TEXT NOT NULL
  );
  `,
  // s18: an event source the provider refuses for good (a licence the tenant lacks) is off, with
  // the reason and what to do, since when; cleared by the next batch that is not refused.
  `
  ALTER TABLE event_sources ADD COLUMN disabled_reason TEXT;
  ALTER TABLE event_sources ADD COLUMN disabled_hint TEXT;
  ALTER TABLE event_sources ADD COLUMN disabled_at TEXT;
  `,
];
