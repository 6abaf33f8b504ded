// The ledger check through the public API: for every order, refund-service, order-service,
// payment-service and the provider agree on what was refunded; no refund the client was given is
// missing, and the provider paid none twice. The benchmark and the chaos run end with it.
import type { ApiClient } from './api-client';
import { SANDBOX_SECRET_KEY } from './services';

/** A refund as the provider (the sandbox's Stripe-style list) keeps it. */
export interface ProviderRefund {
  id: string;
  amount: number;
  status: string;
  payment_intent: string;
  metadata: Record<string, string>;
}

/** The provider's refunds created since `since` (Stripe's list, paged with starting_after). */
export async function listProviderRefunds(api: ApiClient, since: Date): Promise<ProviderRefund[]> {
  const all: ProviderRefund[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: '100', 'created[gte]': String(Math.floor(since.getTime() / 1000) - 1) });
    if (after) query.set('starting_after', after);
    const page = await api.call<{ data: ProviderRefund[]; has_more: boolean }>('sandbox', 'GET', `/v1/refunds?${query}`, { token: SANDBOX_SECRET_KEY });
    all.push(...page.data);
    if (!page.has_more || page.data.length === 0) return all;
    after = page.data[page.data.length - 1].id;
  }
}

/** An order the check reads, with a token allowed to read it. */
export interface LedgerOrder {
  id: string;
  token: string;
  providerPaymentId: string;
}

/** A refund the client was answered 201 for. */
export interface LedgerRefund {
  refundId: string;
  orderId: string;
}

export interface LedgerInput {
  accepted: LedgerRefund[];
  orders: LedgerOrder[];
  /** The final status and amount of a refund as the client learnt it (undefined: not final). */
  finalOf(refundId: string): { status: string; amount: number } | undefined;
  providerRefunds: ProviderRefund[];
  /**
   * A support or admin token: refund-service's own list of each order's refunds is read, so a refund
   * it took without the answer reaching the client still counts. Without it, the accepted refunds are
   * the refund-service side (the benchmark, whose every request is answered).
   */
  refundReader?: string;
  progress?: (line: string) => void;
}

export interface LedgerReport {
  ok: boolean;
  refunds: number;
  orders: number;
  byStatus: Record<string, number>;
  providerRefunds: number;
  refundedTotal: number;
  problems: string[];
}

/** The problems of a ledger report, counted by kind. */
export interface LedgerCounts {
  /** accepted refunds refund-service does not know */
  lost: number;
  /** refunds that did not reach a final status */
  unfinished: number;
  /** refunds the provider paid more than once */
  doubled: number;
  /** refunds refund-service holds that no client was answered for (read with `refundReader` only) */
  unknownToClient: number;
}

interface ServiceRefund {
  id: string;
  status: string;
  amount: number;
  /** set when it pays back a duplicate capture, not the order's own payment */
  paymentId?: string;
}

const FINAL = new Set(['succeeded', 'failed', 'rejected', 'cancelled']);

async function inParallel<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

/** Compares the four ledgers of every given order; every difference is a line of `problems`. */
export async function compareLedger(api: ApiClient, input: LedgerInput): Promise<LedgerReport & LedgerCounts> {
  const { accepted, orders, finalOf, providerRefunds, refundReader, progress = () => undefined } = input;
  const problems: string[] = [];
  const byStatus: Record<string, number> = {};
  let lost = 0;
  let unfinished = 0;
  let unknownToClient = 0;
  const acceptedIds = new Set(accepted.map((a) => a.refundId));
  const acceptedByOrder = new Map<string, LedgerRefund[]>();
  for (const a of accepted) acceptedByOrder.set(a.orderId, [...(acceptedByOrder.get(a.orderId) ?? []), a]);

  const paid = new Map<string, ProviderRefund[]>();
  for (const refund of providerRefunds) {
    const id = refund.metadata?.refundId;
    if (id && refund.status !== 'failed') paid.set(id, [...(paid.get(id) ?? []), refund]);
  }
  let doubled = 0;
  for (const [refundId, refunds] of paid) {
    if (refunds.length < 2) continue;
    doubled++;
    problems.push(`refund ${refundId} was paid ${refunds.length} times by the provider (${refunds.map((r) => r.id).join(', ')})`);
  }
  const providerByIntent = new Map<string, number>();
  for (const refund of providerRefunds) {
    if (refund.status === 'succeeded') providerByIntent.set(refund.payment_intent, (providerByIntent.get(refund.payment_intent) ?? 0) + refund.amount);
  }

  let refundedTotal = 0;
  let checked = 0;
  await inParallel(orders, 16, async (order) => {
    const mine = acceptedByOrder.get(order.id) ?? [];
    let held: ServiceRefund[];
    if (refundReader) {
      const list = await api.call<{ items: ServiceRefund[] }>('refund', 'GET', `/v1/refunds?orderId=${order.id}&limit=200`, { token: refundReader });
      held = list.items;
      const heldIds = new Set(held.map((r) => r.id));
      for (const a of mine) {
        if (heldIds.has(a.refundId)) continue;
        lost++;
        problems.push(`refund ${a.refundId} (order ${order.id}) was accepted but refund-service does not know it`);
      }
      unknownToClient += held.filter((r) => !acceptedIds.has(r.id)).length;
    } else {
      held = mine.flatMap((a) => {
        const final = finalOf(a.refundId);
        return final ? [{ id: a.refundId, ...final }] : [];
      });
    }
    for (const refund of held) {
      if (!FINAL.has(refund.status)) {
        if (acceptedIds.has(refund.id) || refundReader) {
          unfinished++;
          problems.push(`refund ${refund.id} (order ${order.id}) did not reach a final status: still ${refund.status}`);
        }
        continue;
      }
      byStatus[refund.status] = (byStatus[refund.status] ?? 0) + 1;
    }
    // the order's own money; refunds of duplicate captures are checked against their payment below
    const want = held.filter((r) => r.status === 'succeeded' && !r.paymentId).reduce((sum, r) => sum + r.amount, 0);
    refundedTotal += want;
    const [view, payments] = await Promise.all([
      api.call('order', 'GET', `/v1/orders/${order.id}`, { token: order.token }),
      api.call<{ items: { id: string; refundedAmount: number; duplicate?: boolean }[] }>('payment', 'GET', `/v1/payments?orderId=${order.id}`, { token: order.token }),
    ]);
    const paymentRefunded = payments.items.filter((p) => !p.duplicate).reduce((sum, p) => sum + p.refundedAmount, 0);
    for (const duplicate of payments.items.filter((p) => p.duplicate)) {
      const back = held.filter((r) => r.status === 'succeeded' && r.paymentId === duplicate.id).reduce((sum, r) => sum + r.amount, 0);
      if (back !== duplicate.refundedAmount) problems.push(`order ${order.id}: duplicate payment ${duplicate.id} refunded ${duplicate.refundedAmount}, refund-service ${back}`);
    }
    const providerRefunded = providerByIntent.get(order.providerPaymentId) ?? 0;
    if (view.refundedAmount !== want || paymentRefunded !== want || providerRefunded !== want) {
      problems.push(`order ${order.id}: refund-service ${want}, order-service ${view.refundedAmount}, payment-service ${paymentRefunded}, provider ${providerRefunded}`);
    }
    if (want > view.capturedAmount) problems.push(`order ${order.id}: refunded ${want} of ${view.capturedAmount} captured`);
    if (++checked % 500 === 0) progress(`ledger: ${checked}/${orders.length} orders agree so far`);
  });

  return {
    ok: problems.length === 0,
    refunds: accepted.length,
    orders: orders.length,
    byStatus,
    providerRefunds: providerRefunds.length,
    refundedTotal,
    lost,
    unfinished,
    doubled,
    unknownToClient,
    problems,
  };
}
