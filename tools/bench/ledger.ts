// The ledger check that ends every run: every accepted refund ended, none was paid twice, and for
// every order refund-service, order-service, payment-service and the provider agree on the sum.
import { type PaidOrder, type ProviderRefund, api, inParallel, providerRefundsSince, sleep } from './client';
import type { RefundFeed } from './platform';
import type { Accepted } from './scenarios';

export interface LedgerReport {
  ok: boolean;
  refunds: number;
  orders: number;
  byStatus: Record<string, number>;
  providerRefunds: number;
  refundedTotal: number;
  problems: string[];
}

export async function checkLedger(
  accepted: Accepted[],
  orders: PaidOrder[],
  feed: RefundFeed,
  since: Date,
  progress: (line: string) => void,
): Promise<LedgerReport> {
  const problems: string[] = [];
  const deadline = Date.now() + 180_000;
  const open = () => accepted.filter((a) => !feed.finalOf(a.refundId));
  for (let left = open(); left.length > 0 && Date.now() < deadline; left = open()) {
    progress(`ledger: waiting for ${left.length} refunds to end`);
    await sleep(2000);
    await inParallel(open(), 16, (a) => feed.refresh(a.refundId));
  }
  for (const a of open()) problems.push(`refund ${a.refundId} (order ${a.orderId}) did not reach a final status`);

  const byStatus: Record<string, number> = {};
  const expected = new Map<string, number>();
  const refundIds = new Set(accepted.map((a) => a.refundId));
  for (const a of accepted) {
    const final = feed.finalOf(a.refundId);
    if (!final) continue;
    byStatus[final.status] = (byStatus[final.status] ?? 0) + 1;
    if (final.status === 'succeeded') expected.set(a.orderId, (expected.get(a.orderId) ?? 0) + final.amount);
  }

  progress('ledger: reading the provider’s refunds');
  const provider = (await providerRefundsSince(since)).filter((r) => refundIds.has(r.metadata?.refundId));
  const paid = new Map<string, ProviderRefund[]>();
  for (const refund of provider) if (refund.status !== 'failed') paid.set(refund.metadata.refundId, [...(paid.get(refund.metadata.refundId) ?? []), refund]);
  for (const [refundId, refunds] of paid) {
    if (refunds.length > 1) problems.push(`refund ${refundId} was paid ${refunds.length} times by the provider (${refunds.map((r) => r.id).join(', ')})`);
  }
  const providerByIntent = new Map<string, number>();
  for (const refund of provider) {
    if (refund.status === 'succeeded') providerByIntent.set(refund.payment_intent, (providerByIntent.get(refund.payment_intent) ?? 0) + refund.amount);
  }

  const refunded = new Set(accepted.map((a) => a.orderId));
  const involved = orders.filter((order) => refunded.has(order.id));
  let checked = 0;
  await inParallel(involved, 32, async (order) => {
    const want = expected.get(order.id) ?? 0;
    const [view, payments] = await Promise.all([
      api.call('order', 'GET', `/v1/orders/${order.id}`, { token: order.token }),
      api.call<{ items: { refundedAmount: number; capturedAmount: number }[] }>('payment', 'GET', `/v1/payments?orderId=${order.id}`, { token: order.token }),
    ]);
    const paymentRefunded = payments.items.reduce((sum, p) => sum + p.refundedAmount, 0);
    const providerRefunded = providerByIntent.get(order.providerPaymentId) ?? 0;
    if (view.refundedAmount !== want || paymentRefunded !== want || providerRefunded !== want) {
      problems.push(
        `order ${order.id}: refund-service ${want}, order-service ${view.refundedAmount}, payment-service ${paymentRefunded}, provider ${providerRefunded}`,
      );
    }
    if (want > view.capturedAmount) problems.push(`order ${order.id}: refunded ${want} of ${view.capturedAmount} captured`);
    if (++checked % 500 === 0) progress(`ledger: ${checked}/${involved.length} orders agree so far`);
  });

  return {
    ok: problems.length === 0,
    refunds: accepted.length,
    orders: involved.length,
    byStatus,
    providerRefunds: provider.length,
    refundedTotal: [...expected.values()].reduce((a, b) => a + b, 0),
    problems,
  };
}
