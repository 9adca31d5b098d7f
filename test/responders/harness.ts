/** Runs one responder the way the core does, collecting the calls it records. */
import type { ApiCall, LinkedAccount, Responder, ResponderAnswer, ResponseTarget } from '../../responders/types.js';

export async function invalidate(responder: Responder, target: ResponseTarget | string, dryRun = false): Promise<ResponderAnswer & { calls: ApiCall[] }> {
  const calls: ApiCall[] = [];
  const t = typeof target === 'string' ? { identity: target, accounts: [] } : target;
  const answer = await responder.invalidate(t, { dryRun, signal: AbortSignal.timeout(10_000), record: (c) => calls.push(c) });
  return { ...answer, calls };
}

/** A linked account for targets. */
export function linked(monitorType: string, login: string, accountId = login, monitorId = `${monitorType}-1`): LinkedAccount {
  return { monitorId, monitorType, scope: '', accountId, login, email: null, via: 'map' };
}
