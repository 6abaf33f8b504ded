import Redis from 'ioredis';

/**
 * One ioredis client per Redis master (independent masters make a Redlock quorum). Commands fail
 * fast while a master is unreachable, so a dead master is one vote against instead of a stall.
 */
export function createRedisClients(urls: string[]): Redis[] {
  if (urls.length === 0) throw new Error('createRedisClients needs at least one Redis URL');
  return urls.map(
    (url) =>
      new Redis(url, {
        // one retry rides out a reconnect; more would hold a lock attempt hostage to a dead master
        maxRetriesPerRequest: 1,
        // no queue while disconnected: redlock retries on its own schedule, bounded by maxWaitMs
        enableOfflineQueue: false,
        connectTimeout: 2000,
      }),
  );
}

/** Quits every client, dropping the connection of any that cannot quit cleanly (shutdown, tests). */
export async function quitRedisClients(clients: Redis[]): Promise<void> {
  await Promise.all(
    clients.map(async (client) => {
      if (client.status === 'end') return;
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    }),
  );
}

/** Resolves when a majority of the masters answer PING: enough to take locks. */
export async function pingQuorum(clients: Redis[]): Promise<void> {
  const results = await Promise.allSettled(clients.map((client) => client.ping()));
  const answered = results.filter((result) => result.status === 'fulfilled').length;
  const quorum = Math.floor(clients.length / 2) + 1;
  if (answered < quorum) {
    const reasons = results.flatMap((result) => (result.status === 'rejected' ? [String((result.reason as Error).message)] : []));
    throw new Error(`${answered} of ${clients.length} Redis masters answered PING, ${quorum} needed: ${reasons.join('; ')}`);
  }
}
