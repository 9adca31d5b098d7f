/** Log messages quote provider text: on a TTY (pretty) its control characters show as escapes, JSON lines keep it exact. */
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createLogger, visibleMessages } from '../../src/core/logger.js';

const HOSTILE = 'kill of mallory\u001b[2J\r\u202eevil\nFORGED';

function lines(stream: PassThrough): Array<Record<string, unknown>> {
  return String(stream.read() ?? '').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger', () => {
  it('the pretty logger\'s hook shows control and bidi characters in messages as escapes', () => {
    const out = new PassThrough();
    const logger = pino({ hooks: { logMethod: visibleMessages } }, out);
    logger.info({ identity: 'a' }, HOSTILE);
    logger.warn(HOSTILE);
    expect(lines(out).map((l) => l.msg)).toEqual(['kill of mallory\\x1b[2J\\r\\u202eevil\\nFORGED', 'kill of mallory\\x1b[2J\\r\\u202eevil\\nFORGED']);
  });

  it('JSON lines keep the message exact', () => {
    const out = new PassThrough();
    createLogger({ level: 'info', destination: out }).info(HOSTILE);
    expect(lines(out)[0]?.msg).toBe(HOSTILE);
  });
});
