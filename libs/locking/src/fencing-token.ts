import type Redis from 'ioredis';
import { FENCE_KEY_PREFIX, FENCE_MAX_ROUNDS } from './lock.constants';
import { LockUnavailableError } from './lock-errors';

// sets the counter to the proposal only if the proposal is higher, so each value is granted once per master
const PROPOSE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0`;

const answers = <T>(results: PromiseSettledResult<T>[]): T[] =>
  results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));

/**
 * The next fencing token for `key`, drawn by the holder right after acquiring the lock: strictly
 * greater than every token drawn before it.
 *
 * One master: `INCR fence:<key>`. Several masters: a plain INCR on each with the max of a majority
 * can go backwards once the counters diverge (a master that missed some INCRs, or restarted empty,
 * answering in place of the one that was ahead), so the token is agreed in two rounds instead:
 * read the counter on every master and take the max of at least a majority of answers, then
 * propose max + 1 and keep it only if a majority accepts it (a master accepts a value above its
 * own). Any two majorities share a master, so the next holder's read sees this token and proposes
 * above it, and two concurrent proposals of one value cannot both win a majority.
 *
 * The counter never expires: if Redis loses it, new tokens start low and the database check
 * refuses them until the counter is raised above the highest token recorded there.
 */
export async function nextFencingToken(clients: Redis[], key: string): Promise<number> {
  const fenceKey = `${FENCE_KEY_PREFIX}${key}`;
  if (clients.length === 1) {
    try {
      return await clients[0].incr(fenceKey);
    } catch (error) {
      throw new LockUnavailableError(key, 'could not draw a fencing token', { cause: error });
    }
  }
  const quorum = Math.floor(clients.length / 2) + 1;
  for (let round = 0; round < FENCE_MAX_ROUNDS; round++) {
    const seen = answers(await Promise.allSettled(clients.map((client) => client.get(fenceKey))));
    if (seen.length < quorum) {
      throw new LockUnavailableError(key, `only ${seen.length} of ${clients.length} masters answered for the fencing token`);
    }
    const proposed = Math.max(...seen.map((value) => Number(value ?? 0))) + 1;
    const votes = answers(
      await Promise.allSettled(clients.map((client) => client.eval(PROPOSE_SCRIPT, 1, fenceKey, String(proposed)))),
    );
    if (votes.filter((vote) => vote === 1).length >= quorum) return proposed;
  }
  throw new LockUnavailableError(key, `no fencing token agreed by a majority within ${FENCE_MAX_ROUNDS} rounds`);
}
