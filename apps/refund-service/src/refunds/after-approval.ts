import type { EntityManager } from 'typeorm';
import { type DomainEvent, type OrderMessage, type RefundSnapshot, formatMoney } from '@ebb/contracts';
import { type ClaimedCall, defineCall, exponentialBackoff, recordCall } from '@ebb/outbound';
import type { Refund, RefundLine } from './refund.entity';
import { applyRefundAction, openRefund } from './refund-lifecycle';

export const SYSTEM = 'system';

/** What the step after approval needs to know of the order, read when the refund is approved. */
export type OrderAtApproval = Pick<OrderMessage, 'fulfillmentStatus' | 'capturedAmount' | 'items'>;

/**
 * order-service holds a refund's unshipped goods back from shipping before any money moves (a
 * parcel must never leave while its refund is paid). Keyed by the refund id: asking twice holds once.
 * Tried for about half an hour, then parked for an operator (the refund waits in `approved`).
 */
export const HoldGoods = defineCall<{ refundId: string; orderId: string }>('order.hold-goods', {
  maxAttempts: 12,
  backoffMs: exponentialBackoff(500, 5 * 60_000),
  leaseMs: 15_000,
});

/**
 * The carrier is asked to stop a parcel in transit, keyed by the refund id. Tried for about an hour
 * (a carrier that answers nothing), then parked for an operator: the refund waits in `intercepting`.
 */
export const InterceptParcel = defineCall<{ refundId: string }>('carrier.intercept-parcel', {
  maxAttempts: 14,
  backoffMs: exponentialBackoff(1000, 10 * 60_000),
});

/**
 * Goodwill that support grants: money, no goods back, shipped or not. A customer may give `goodwill` as
 * the reason of a request, but that is a request like any other (its goods come back once shipped):
 * otherwise any customer could keep the goods and be paid at once.
 */
export const isGoodwillGrant = (refund: Pick<Refund, 'reason' | 'initiator'>): boolean => refund.reason === 'goodwill' && refund.initiator !== 'customer';

/** The units of each line that left with the shipment: what an intercepted parcel brings back. */
export const shippedLines = (order: Pick<OrderMessage, 'items'>): RefundLine[] =>
  order.items.filter((line) => line.shippedQuantity > 0).map((line) => ({ sku: line.sku, quantity: line.shippedQuantity }));

/**
 * The step after approval. Goods that never shipped are held back from shipping first (a call to
 * order-service recorded here, claimed by this process: the refund waits in `approved` until the
 * answer), a refund of money only is paid at once; a parcel in transit is stopped with the carrier
 * when the refund takes the whole order back (stopping it brings every line back: a call recorded
 * here, InterceptionHandler); otherwise the
 * goods must come back and pass inspection before any money moves.
 */
export async function afterApproval(
  manager: EntityManager,
  refund: Refund,
  order: OrderAtApproval,
  at?: Date,
  holdClaim: HoldClaim = true,
): Promise<Decided> {
  // goodwill gives money and takes no goods back, shipped or not
  if (!refund.shipped || isGoodwillGrant(refund)) {
    if (refund.goods.length === 0) return { events: [await applyRefundAction(manager, refund, 'start_refunding', SYSTEM, { at })], holding: false };
    const hold = await recordCall(manager, HoldGoods, refund.id, { refundId: refund.id, orderId: refund.orderId }, { claim: holdClaim });
    return { events: [], hold: holdClaim === true ? hold : undefined, holding: true };
  }
  if (order.fulfillmentStatus === 'shipped' && refund.amount >= order.capturedAmount) {
    const note = 'the parcel is in transit: asking the carrier to stop it';
    const event = await applyRefundAction(manager, refund, 'intercept', SYSTEM, { at, note });
    // made by this process's loop as soon as this commits (not claimed: the answer to the caller says `intercepting`)
    await recordCall(manager, InterceptParcel, refund.id, { refundId: refund.id });
    return { events: [event], holding: false };
  }
  const why = order.fulfillmentStatus === 'shipped' ? 'part of a parcel in transit: it comes back once delivered' : 'the parcel was delivered: it must come back first';
  return { events: [await applyRefundAction(manager, refund, 'await_return', SYSTEM, { at, note: why })], holding: false };
}

/**
 * How the goods hold is recorded: claimed by this process, which makes it after the commit
 * (`runClaimed`, a request waiting for its answer), or handed to this process's loop at the commit
 * (a handler with nobody waiting).
 */
export type HoldClaim = true | 'on-commit';

/**
 * What a decision did: its events; `holding` when it waits on the goods hold (the hold's answer
 * tells its steps, so the deciding transaction does not announce them); the call to make after the
 * commit when claimed.
 */
export interface Decided {
  events: DomainEvent<RefundSnapshot>[];
  hold?: ClaimedCall;
  holding: boolean;
}

/** How a new refund is decided beside the automatic limit. */
export interface DecideOptions {
  /** the seller reviews it by hand: it waits, and the system approves it at this time if nobody decided */
  manualReviewUntil?: Date;
  holdClaim?: HoldClaim;
}

/**
 * A new refund's first steps, in its creating transaction (its ledger locked): it is opened (its
 * amount committed), approved by the system within the automatic limit (`limit`, minor units of its
 * currency) and taken to its next step, or sent to review above it: one refund above the limit
 * always needs a person.
 */
export async function openAndDecide(
  manager: EntityManager,
  refund: Refund,
  order: OrderAtApproval,
  limit: number,
  options: DecideOptions = {},
): Promise<Decided> {
  const at = refund.createdAt;
  const events = [await openRefund(manager, refund)];
  if (refund.amount > limit) {
    const note = `above the automatic approval limit of ${formatMoney({ amount: limit, currency: refund.currency })}`;
    events.push(await applyRefundAction(manager, refund, 'review', SYSTEM, { note, at }));
    return { events, holding: false };
  }
  if (options.manualReviewUntil) {
    const until = options.manualReviewUntil;
    const note = `the seller reviews refunds: approved automatically at ${until.toISOString()} unless decided before`;
    events.push(await applyRefundAction(manager, refund, 'review', SYSTEM, { note, at, change: (r) => (r.autoApproveAt = until) }));
    return { events, holding: false };
  }
  const why = refund.shipped ? 'within the automatic approval limit' : 'not shipped and within the automatic approval limit';
  events.push(await applyRefundAction(manager, refund, 'approve', SYSTEM, { note: why, at }));
  const next = await afterApproval(manager, refund, order, at, options.holdClaim);
  return { ...next, events: [...events, ...next.events] };
}
