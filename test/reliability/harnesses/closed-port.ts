/** A loopback port nothing listens on, for the "connection refused" fault. */
import { createServer } from 'node:net';

/** Binds a free port on 127.0.0.1, closes it and returns it: connecting there is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
