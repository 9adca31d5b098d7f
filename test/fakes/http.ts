/**
 * A tiny loopback HTTP server for provider fakes: binds 127.0.0.1 on a free port, records every
 * request, and can inject faults (a status with headers and body, a connection reset mid-body,
 * a hang, a truncated body, or the fake's own answer rewritten: a page cut at a row boundary)
 * into the next matching requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Fault =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'reset' }
  | { kind: 'hang' }
  | { kind: 'truncate'; status?: number; body: string; contentType?: string }
  /** The fake's real answer, rewritten on its way out (e.g. the last page with fewer rows and no next link). */
  | { kind: 'rewrite'; rewrite: (answer: { status: number; headers: Record<string, string>; body: string }) => { status: number; headers: Record<string, string>; body: string } };

interface PendingFault {
  fault: Fault;
  times: number;
  match: (r: RecordedRequest) => boolean;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** Base class of every provider fake. */
export class LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  #server: Server | null = null;
  #faults: PendingFault[] = [];
  #sockets = new Set<import('node:net').Socket>();
  #handler: Handler;
  url = '';

  constructor(handler: Handler) {
    this.#handler = handler;
  }

  /** Starts listening on 127.0.0.1 with a free port; returns the base URL. */
  async start(): Promise<string> {
    const server = createServer((req, res) => void this.#serve(req, res));
    server.on('connection', (s) => {
      // A client still retrying after stop() (a request cut off by a deadline) must not keep
      // the server open: refuse it at once.
      if (this.#server !== server) {
        s.destroy();
        return;
      }
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  /** Stops listening and drops every connection, held (hanging) ones included. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const s of this.#sockets) s.destroy();
    await closed;
  }

  /** Makes the next `times` requests matching `match` (default: all) fail with `fault`. */
  inject(fault: Fault, times = 1, match: (r: RecordedRequest) => boolean = () => true): void {
    this.#faults.push({ fault, times, match });
  }

  clearFaults(): void {
    this.#faults = [];
  }

  async #serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    this.requests.push(recorded);
    const pending = this.#faults.find((f) => f.times > 0 && f.match(recorded));
    if (pending) {
      pending.times -= 1;
      const f = pending.fault;
      switch (f.kind) {
        case 'status':
          res.writeHead(f.status, { 'content-type': 'application/json; charset=utf-8', ...f.headers });
          res.end(f.body === undefined ? '' : typeof f.body === 'string' ? f.body : JSON.stringify(f.body));
          return;
        case 'reset':
          res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '100000' });
          res.write('[{"id": 1, "login": "a"},');
          setTimeout(() => req.socket.destroy(), 5);
          return;
        case 'hang':
          return;
        case 'truncate':
          res.writeHead(f.status ?? 200, { 'content-type': f.contentType ?? 'application/json; charset=utf-8' });
          res.end(f.body);
          return;
        case 'rewrite':
          rewriteAnswer(res, f.rewrite);
          break;
      }
    }
    try {
      await this.#handler(recorded, res);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`fake crashed: ${(err as Error).message}`);
    }
  }
}

/** Holds the handler's answer (writeHead, write, end) and sends `rewrite` of it instead. */
function rewriteAnswer(res: ServerResponse, rewrite: Extract<Fault, { kind: 'rewrite' }>['rewrite']): void {
  const writeHead = res.writeHead.bind(res);
  const end = res.end.bind(res);
  let status = 200;
  let headers: Record<string, string> = {};
  const chunks: Buffer[] = [];
  const collect = (chunk: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  };
  res.writeHead = ((code: number, h?: Record<string, string | number | readonly string[]>) => {
    status = code;
    headers = Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    return res;
  }) as typeof res.writeHead;
  res.write = ((chunk: unknown) => {
    collect(chunk);
    return true;
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    collect(chunk);
    for (const name of res.getHeaderNames()) headers[name] ??= String(res.getHeader(name));
    const out = rewrite({ status, headers, body: Buffer.concat(chunks).toString('utf8') });
    const { 'content-length': _length, ...rest } = out.headers;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    writeHead(out.status, { ...rest, 'content-length': String(Buffer.byteLength(out.body)) });
    return end(out.body);
  }) as typeof res.end;
}

/** Writes a JSON answer. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}
