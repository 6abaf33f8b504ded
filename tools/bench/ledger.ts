// The ledger check that ends every run: every accepted refund ended, none was paid twice, and for
// every order refund-service, order-service, payment-service and the provider agree on the sum
// (the comparison itself is `compareLedger` of libs/api-client, shared with `npm run chaos`).
import { type LedgerCounts, type LedgerReport, compareLedger } from '@ebb/api-client';
import { type PaidOrder, api, inParallel, providerRefundsSince, sleep } from './client';
import type { RefundFeed } from './platform';
import type { Accepted } from './scenarios';

export type { LedgerReport } from '@ebb/api-client';

export async function checkLedger(
  accepted: Accepted[],
  orders: PaidOrder[],
  feed: RefundFeed,
  since: Date,
  progress: (line: string) => void,
): Promise<LedgerReport & LedgerCounts> {
  const deadline = Date.now() + 180_000;
  const open = () => accepted.filter((a) => !feed.finalOf(a.refundId));
  for (let left = open(); left.length > 0 && Date.now() < deadline; left = open()) {
    progress(`ledger: waiting for ${left.length} refunds to end`);
    await sleep(2000);
    await inParallel(open(), 16, (a) => feed.refresh(a.refundId));
  }
  const unfinished = open().map((a) => `refund ${a.refundId} (order ${a.orderId}) did not reach a final status`);

  progress('ledger: reading the provider’s refunds');
  const refundIds = new Set(accepted.map((a) => a.refundId));
  const providerRefunds = (await providerRefundsSince(since)).filter((r) => refundIds.has(r.metadata?.refundId ?? ''));
  const refunded = new Set(accepted.map((a) => a.orderId));
  const report = await compareLedger(api, {
    accepted,
    orders: orders.filter((order) => refunded.has(order.id)),
    finalOf: (refundId) => feed.finalOf(refundId),
    providerRefunds,
    progress,
  });
  const problems = [...unfinished, ...report.problems];
  return { ...report, ok: problems.length === 0, unfinished: report.unfinished + unfinished.length, problems };
}
