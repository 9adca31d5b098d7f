/** Loopback helpers shared by the fault-matrix harnesses. */
import { createServer } from 'node:net';

/** A port nothing listens on (bound, then closed): the "connection refused" fault. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
