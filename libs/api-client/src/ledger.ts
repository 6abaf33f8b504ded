// The ledger check through the public API: for every order, refund-service, order-service,
// payment-service and the provider agree on what was refunded; no refund the client was given is
// missing, and the provider paid none twice. The benchmark and the chaos run end with it.
import Stripe from 'stripe';
import type { ApiClient } from './api-client';
import { SANDBOX_SECRET_KEY } from './services';
import { type SuccessBody, ok } from './typed-client';

/**
 * A refund as the provider keeps it: Stripe's own type, since the sandbox emulates Stripe and the public
 * document does not describe the provider. Listed unexpanded, so `payment_intent` is the intent's id.
 */
export type ProviderRefund = Stripe.Refund;

/** The provider's refunds created since `since` (Stripe's list, paged with starting_after), read with the Stripe SDK. */
export async function listProviderRefunds(api: ApiClient, since: Date): Promise<ProviderRefund[]> {
  const at = new URL(api.baseUrl('sandbox'));
  const stripe = new Stripe(SANDBOX_SECRET_KEY, { host: at.hostname, port: at.port, protocol: at.protocol === 'https:' ? 'https' : 'http' });
  const all: ProviderRefund[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await stripe.refunds.list({ limit: 100, created: { gte: Math.floor(since.getTime() / 1000) - 1 }, starting_after: after });
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
  finalOf(refundId: string): Pick<ServiceRefund, 'status' | 'amount'> | undefined;
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

/**
 * A refund as refund-service lists it, in the fields the check reads (`paymentId`: it pays back a duplicate
 * capture); its status a string, as a client that read it elsewhere may have kept it.
 */
type ServiceRefund = Pick<SuccessBody<'/v1/refunds', 'get'>['items'][number], 'id' | 'amount' | 'paymentId'> & { status: string };

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
    const intent = typeof refund.payment_intent === 'string' ? refund.payment_intent : refund.payment_intent?.id;
    if (refund.status === 'succeeded' && intent) providerByIntent.set(intent, (providerByIntent.get(intent) ?? 0) + refund.amount);
  }

  let refundedTotal = 0;
  let checked = 0;
  await inParallel(orders, 16, async (order) => {
    const mine = acceptedByOrder.get(order.id) ?? [];
    let held: ServiceRefund[];
    if (refundReader) {
      const list = await ok(api.typed('refund', refundReader).GET('/v1/refunds', { params: { query: { orderId: order.id, limit: 200 } } }));
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
      ok(api.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.id } } })),
      ok(api.typed('payment', order.token).GET('/v1/payments', { params: { query: { orderId: order.id } } })),
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
