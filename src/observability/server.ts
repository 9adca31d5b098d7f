/**
 * The daemon's observability endpoint (node:http, no framework): `/healthz` answers 200 only when
 * every monitor scope's last successful scan is fresh (within health.staleAfter), 503 otherwise,
 * with a JSON body saying which is not; `/metrics` answers in the Prometheus text format.
 * Bound to loopback unless the config says otherwise: the figures name monitors and counts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { App } from '../app.js';
import { EventStore } from '../../storage/events.js';
import { scanFreshness } from '../../storage/health-alerts.js';
import { freshness } from './health.js';
import { parseListen } from './listen.js';

export interface ObservabilityServer {
  /** "http://host:port" actually bound (port 0 picks a free one). */
  url: string;
  close(): Promise<void>;
}

/** Refreshes the gauges that are read from the database (they are right after a restart too). */
function refreshGauges(app: App): void {
  const sources = new EventStore(app.store);
  for (const m of app.monitors) {
    for (const source of m.monitor.eventSources?.() ?? []) {
      const row = sources.source(m.config.id, source.name);
      app.metrics.eventSourceOff.set({ monitor: m.config.id, source: source.name }, row?.disabled_reason ? 1 : 0);
    }
    for (const s of m.monitor.scopes()) {
      const counts = app.store.storedCounts(m.config.id, s.id);
      app.metrics.accounts.set({ monitor: m.config.id, scope: s.id }, counts.accounts);
      app.metrics.accountsWithoutMfa.set({ monitor: m.config.id, scope: s.id }, counts.byState.disabled + counts.byState.weak);
      const f = scanFreshness(app.store, m.config.id, s.id);
      if (f.lastSuccessAt) app.metrics.lastSuccess.set({ monitor: m.config.id, scope: s.id }, Date.parse(f.lastSuccessAt) / 1000);
    }
  }
}

/** Starts the server on `listen`. */
export async function startObservabilityServer(app: App, listen: string): Promise<ObservabilityServer> {
  const where = parseListen(listen);
  if (!where) throw new Error(`observability.listen "${listen}" is not HOST:PORT`);
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const scopes = freshness(app);
      const ok = scopes.length > 0 && scopes.every((s) => s.fresh);
      const body = {
        status: ok ? 'ok' : 'stale',
        staleAfterSeconds: Math.round(app.config.health.staleAfter / 1000),
        monitors: scopes.map((s) => ({ id: s.monitorId, scope: s.scope, lastSuccessAt: s.lastSuccessAt, ageSeconds: s.ageMs === null ? null : Math.round(s.ageMs / 1000), fresh: s.fresh })),
      };
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(JSON.stringify(body));
      return;
    }
    if (path === '/metrics') {
      refreshGauges(app);
      app.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': app.metrics.registry.contentType }).end(text))
        .catch((err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(err as Error).message}`));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('mfawatch serves /healthz and /metrics\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(where.port, where.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
