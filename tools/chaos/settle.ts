// After the last fault: waits, within a bound, for every accepted refund to reach a final status, and
// does what an operator does with parked messages (replays them once the faults are cleared).
import type { ApiClient, Service } from '@ebb/api-client';
import { type AcceptedRefund, FINAL_STATUSES } from './flow-driver';
import { adminToken } from './seed-orders';

export interface DeadLetterTally {
  /** parked messages found, by `service type` */
  parked: Record<string, number>;
  replayed: number;
  /** one error message per `service type`, as evidence */
  errors: Record<string, string>;
}

const SERVICES_WITH_QUEUES: Service[] = ['order', 'payment', 'refund', 'inventory', 'notification'];
/** How often the operator looks at the dead letters while refunds settle. */
const DEAD_LETTER_EVERY_MS = 20_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** One call waits at most this long: a service in the middle of a fault may hold a connection open. */
const timeout = () => AbortSignal.timeout(10_000);

/** Lists every service's parked messages and replays each one. */
export async function replayDeadLetters(api: ApiClient, tally: DeadLetterTally): Promise<number> {
  let found = 0;
  for (const service of SERVICES_WITH_QUEUES) {
    const operator = api.typed(service, adminToken);
    const list = await operator.GET('/v1/admin/dead-letters', { params: { query: { limit: 500 } }, signal: timeout() }).catch(() => undefined);
    for (const letter of list?.response.status === 200 && list.data ? list.data.items : []) {
      found++;
      const key = `${service} ${letter.type}`;
      tally.parked[key] = (tally.parked[key] ?? 0) + 1;
      tally.errors[key] ??= letter.error.slice(0, 300);
      const replayed = await operator.POST('/v1/admin/dead-letters/{id}/replay', { params: { path: { id: letter.id } }, signal: timeout() }).catch(() => undefined);
      if (replayed?.response.status === 200) tally.replayed++;
    }
  }
  return found;
}

/**
 * Reads each open refund's status until all are final and the shop's calls under way (`underWay`:
 * its last requests, support's return steps) are done, or `until` passes; meanwhile the operator
 * replays what was parked, which is what lets a refund waiting on a parked message move again.
 */
export async function settleRefunds(
  api: ApiClient,
  refunds: Map<string, AcceptedRefund>,
  until: number,
  tally: DeadLetterTally,
  progress: (line: string) => void,
  underWay: () => number = () => 0,
): Promise<void> {
  const open = () => [...refunds.values()].filter((refund) => !FINAL_STATUSES.includes(refund.status));
  let lastOperator = 0;
  for (let left = open(); left.length > 0 || underWay() > 0; left = open()) {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < left.length) {
          const refund = left[next++];
          const read = await api
            .typed('refund', adminToken)
            .GET('/v1/refunds/{id}', { params: { path: { id: refund.refundId } }, signal: timeout() })
            .catch(() => undefined);
          if (read?.data) refund.status = read.data.status;
        }
      }),
    );
    const still = open();
    if ((still.length === 0 && underWay() === 0) || Date.now() >= until) return;
    const byStatus: Record<string, number> = {};
    for (const refund of still) byStatus[refund.status] = (byStatus[refund.status] ?? 0) + 1;
    progress(`settling: ${still.length} refunds not final yet ${JSON.stringify(byStatus)}, ${underWay()} calls under way, ${Math.round((until - Date.now()) / 1000)} s left`);
    if (Date.now() - lastOperator >= DEAD_LETTER_EVERY_MS) {
      lastOperator = Date.now();
      const found = await replayDeadLetters(api, tally);
      if (found > 0) progress(`operator: replayed ${found} parked messages`);
    }
    await sleep(3000);
  }
}
