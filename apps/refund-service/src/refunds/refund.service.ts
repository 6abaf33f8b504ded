import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type FindOptionsOrder, type FindOptionsWhere, MoreThan } from 'typeorm';
import { type DomainEvent, type OrderMessage, type RefundSnapshot, formatMoney, majorToMinor, multiplyMinor, newId, sumMinor } from '@ebb/contracts';
import { type FieldError, HttpErrorCode, type Principal, httpError } from '@ebb/http';
import { type HeldLock, LockService, LockTimeoutError, LockUnavailableError, StaleLockError, assertFencingToken } from '@ebb/locking';
import { addToOutbox } from '@ebb/messaging';
import { writeBack } from '@ebb/persistence';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { assertWithinRefundWindow } from '../policies/refund-window';
import { RefundEntity, type RefundLine } from './refund.entity';
import { RefundErrorCode, refundError } from './refund.errors';
import { refundRequestSeconds } from './refund.metrics';
import type { Initiator, ListRefundsQuery, RequestRefundBody } from './refund.schemas';
import { type RefundView, refundView } from './refund.view';
import { adjustCommitted, lockLedger } from './refund-ledger';
import { applyRefundAction, refundSnapshot } from './refund-lifecycle';
import { RELEASED_STATUSES, type RefundAction } from './refund-state';

/** Who did it, as history entries name them. */
export const actorOf = (principal: Principal) => `${principal.role}:${principal.sub}`;
const SYSTEM = 'system';

/** What support does to one refund (each an action of the refund's machine). */
export type SupportAction = Extract<RefundAction, 'approve' | 'reject' | 'cancel' | 'receive_return' | 'pass_inspection' | 'fail_inspection'>;

/** What the step after approval needs to know of the order, read when the refund is approved. */
type OrderAtApproval = Pick<OrderMessage, 'fulfillmentStatus' | 'capturedAmount'>;

/**
 * The step after approval: goods that never shipped are refunded at once; a parcel in transit is
 * stopped with the carrier when the refund takes the whole order back (stopping it brings every
 * line back); otherwise the goods must come back and pass inspection before any money moves.
 */
export function afterApproval(refund: RefundEntity, order: OrderAtApproval, at?: Date): DomainEvent<RefundSnapshot> {
  if (!refund.shipped) return applyRefundAction(refund, 'start_refunding', SYSTEM, { at });
  if (order.fulfillmentStatus === 'shipped' && refund.amount >= order.capturedAmount) {
    return applyRefundAction(refund, 'intercept', SYSTEM, { at, note: 'the parcel is in transit: asking the carrier to stop it' });
  }
  const why = order.fulfillmentStatus === 'shipped' ? 'part of a parcel in transit: it comes back once delivered' : 'the parcel was delivered: it must come back first';
  return applyRefundAction(refund, 'await_return', SYSTEM, { at, note: why });
}

/** How much of a sku the order holds, and at what unit price (its first line's). */
type OrderedSkus = Map<string, { quantity: number; unitAmount: number }>;

function orderedSkus(order: OrderMessage): OrderedSkus {
  const skus: OrderedSkus = new Map();
  for (const line of order.items) {
    const seen = skus.get(line.sku);
    skus.set(line.sku, { quantity: (seen?.quantity ?? 0) + line.quantity, unitAmount: seen?.unitAmount ?? line.unitAmount });
  }
  return skus;
}

/** Requests refunds and moves them through their lifecycle; every change commits with its events. */
@Injectable()
export class RefundService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly locks: LockService,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
  ) {}

  /**
   * POST /v1/refunds: read the order (gRPC, before any lock or transaction), then under the order's
   * lock and in one transaction check what is still refundable, commit the amount on the ledger and
   * write the refund with its history and events.
   */
  async request(body: RequestRefundBody, principal: Principal): Promise<RefundView> {
    const started = performance.now();
    const initiator = this.initiatorFor(body.initiator, principal);
    const order = await this.orders.getOrder(body.orderId);
    // a customer learns nothing of other customers' orders, not even that they exist
    if (principal.role === 'customer' && order.customerId !== principal.sub) {
      throw refundError(RefundErrorCode.OrderNotFound, `Order ${body.orderId} was not found.`);
    }
    if (!(order.capturedAmount > 0)) {
      throw refundError(RefundErrorCode.OrderNotRefundable, 'Nothing has been captured on this order, so there is nothing to refund.');
    }
    const skus = orderedSkus(order);
    const items = body.items;
    const unknown: FieldError[] = (items ?? []).flatMap((line, index) =>
      skus.has(line.sku) ? [] : [{ field: `items.${index}.sku`, message: `is not a line of order ${order.id}` }],
    );
    if (unknown.length > 0) throw httpError(HttpErrorCode.ValidationError, 'The request body is invalid.', unknown);
    const linesValue = items && sumMinor(items.map((line) => multiplyMinor(skus.get(line.sku)!.unitAmount, line.quantity)));
    // a line refund pays for its lines and no more: a larger amount would pay for lines (and windows) it does not name
    if (linesValue !== undefined && body.amount !== undefined && body.amount > linesValue) {
      throw refundError(RefundErrorCode.AmountExceedsRefundable, `The amount exceeds the value of the lines named (${linesValue}).`, {
        amount: body.amount,
        linesValue,
      });
    }
    // windows bind what customers ask for; support and system refunds (disputes, goodwill, late shipping) may go beyond them
    if (initiator === 'customer') {
      const asked = items ? new Set(items.map((line) => line.sku)) : undefined;
      const productIds = order.items.filter((line) => !asked || asked.has(line.sku)).map((line) => line.productId);
      await assertWithinRefundWindow(this.dataSource.manager, order, productIds);
    }

    const refund = await this.underOrderLock(order.id, (lock, manager) =>
      this.createRefund(manager, lock, { body, order, skus, items, linesValue, initiator, actor: actorOf(principal) }),
    );
    refundRequestSeconds.observe((performance.now() - started) / 1000);
    return refundView(refund);
  }

  private async createRefund(
    manager: EntityManager,
    lock: HeldLock,
    input: {
      body: RequestRefundBody;
      order: OrderMessage;
      skus: OrderedSkus;
      items?: RefundLine[];
      linesValue?: number;
      initiator: Initiator;
      actor: string;
    },
  ): Promise<RefundEntity> {
    const { body, order, skus, items, linesValue } = input;
    const ledger = await lockLedger(manager, order.id, order.capturedAmount);
    await assertFencingToken(manager, lock.key, lock.token);

    if (items) await this.checkQuantities(manager, order.id, skus, items);
    const refundable = ledger.capturedAmount - ledger.committedAmount;
    const amount = body.amount ?? linesValue ?? refundable;
    if (amount === 0) {
      throw refundError(RefundErrorCode.OrderNotRefundable, 'Everything captured on this order is already refunded or being refunded.');
    }
    if (amount > refundable) {
      throw refundError(RefundErrorCode.AmountExceedsRefundable, `The amount exceeds what is still refundable on this order (${refundable}).`, {
        amount,
        refundable,
      });
    }
    await adjustCommitted(manager, order.id, amount);

    const now = new Date();
    const refund = manager.create(RefundEntity, {
      id: newId('ref'),
      orderId: order.id,
      customerId: order.customerId,
      email: order.email,
      status: 'requested',
      amount,
      currency: order.currency,
      reason: body.reason,
      initiator: input.initiator,
      items: items ?? null,
      shipped: order.fulfillmentStatus !== 'unfulfilled',
      note: body.note ?? null,
      providerRefundId: null,
      failureReason: null,
      history: [{ status: 'requested', at: now.toISOString(), actor: input.actor, ...(body.note ? { note: body.note } : {}) }],
      createdAt: now,
      updatedAt: now,
    });
    const events: DomainEvent[] = [{ type: 'refund.requested', payload: refundSnapshot(refund, body.note) }];
    const limit = majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, order.currency);
    if (amount <= limit) {
      const why = refund.shipped ? 'within the automatic approval limit' : 'not shipped and within the automatic approval limit';
      events.push(applyRefundAction(refund, 'approve', SYSTEM, { note: why, at: now }));
      events.push(afterApproval(refund, order, now));
    } else {
      events.push(applyRefundAction(refund, 'review', SYSTEM, { note: `above the automatic approval limit of ${formatMoney({ amount: limit, currency: order.currency })}`, at: now }));
    }
    await manager.insert(RefundEntity, refund);
    await addToOutbox(manager, events);
    return refund;
  }

  /** Each line may refund at most what was ordered less what active and succeeded refunds already hold. */
  private async checkQuantities(manager: EntityManager, orderId: string, skus: OrderedSkus, items: RefundLine[]): Promise<void> {
    const rows: { sku: string; quantity: number }[] = await manager.query(
      `SELECT line->>'sku' AS sku, sum((line->>'quantity')::int)::int AS quantity
         FROM refunds, jsonb_array_elements(refunds.items) AS line
        WHERE refunds.order_id = $1 AND refunds.items IS NOT NULL AND refunds.status <> ALL($2::text[])
        GROUP BY 1`,
      [orderId, RELEASED_STATUSES],
    );
    const held = new Map(rows.map((row) => [row.sku, row.quantity]));
    const over = items.flatMap((line) => {
      const remaining = skus.get(line.sku)!.quantity - (held.get(line.sku) ?? 0);
      return line.quantity > remaining ? [{ sku: line.sku, requested: line.quantity, remaining }] : [];
    });
    if (over.length > 0) {
      throw refundError(RefundErrorCode.QuantityExceedsOrdered, 'A line asks for more units than the order has left to refund.', over);
    }
  }

  private initiatorFor(given: Initiator | undefined, principal: Principal): Initiator {
    if (principal.role === 'customer') {
      if (given && given !== 'customer') {
        throw httpError(HttpErrorCode.ValidationError, 'The request body is invalid.', [
          { field: 'initiator', message: 'must be customer when a customer asks' },
        ]);
      }
      return 'customer';
    }
    return given ?? (principal.role === 'service' ? 'system' : 'support');
  }

  async get(id: string, principal: Principal): Promise<RefundView> {
    const refund = await this.dataSource.getRepository(RefundEntity).findOneBy({ id });
    return refundView(this.visible(refund, id, principal));
  }

  /** Oldest first; with `updatedAfter`, the refunds changed after that instant, oldest change first. */
  async list(filter: ListRefundsQuery, principal: Principal): Promise<{ items: RefundView[] }> {
    const where: FindOptionsWhere<RefundEntity> = {};
    if (filter.orderId) where.orderId = filter.orderId;
    if (filter.status) where.status = filter.status;
    if (filter.updatedAfter) where.updatedAt = MoreThan(new Date(filter.updatedAfter));
    if (principal.role === 'customer') where.customerId = principal.sub;
    const order: FindOptionsOrder<RefundEntity> = filter.updatedAfter ? { updatedAt: 'ASC', id: 'ASC' } : { createdAt: 'ASC', id: 'ASC' };
    const refunds = await this.dataSource.getRepository(RefundEntity).find({ where, order, take: filter.limit });
    return { items: refunds.map(refundView) };
  }

  /**
   * One action of support (or the customer's cancel) on one refund: its history entry and events in
   * one transaction. An approval reads the order first (gRPC, outside the transaction): goods that
   * shipped since the request are intercepted or awaited, never refunded blind.
   */
  async act(id: string, action: SupportAction, principal: Principal, note?: string): Promise<RefundView> {
    let order: OrderAtApproval = { fulfillmentStatus: 'unfulfilled', capturedAmount: 0 };
    if (action === 'approve') {
      const found = this.visible(await this.dataSource.getRepository(RefundEntity).findOneBy({ id }), id, principal);
      order = await this.orders.getOrder(found.orderId);
    }
    const refund = await this.dataSource.transaction(async (manager) => {
      const refund = this.visible(await manager.findOne(RefundEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }), id, principal);
      const change = (r: RefundEntity) => {
        if (action === 'approve' && order.fulfillmentStatus !== 'unfulfilled') r.shipped = true;
        // the returned goods passed: they go back on hand once the money is back
        if (action === 'pass_inspection') r.restock = true;
      };
      const events = [applyRefundAction(refund, action, actorOf(principal), { note, change })];
      if (RELEASED_STATUSES.includes(refund.status)) {
        await lockLedger(manager, refund.orderId);
        await adjustCommitted(manager, refund.orderId, -refund.amount);
      }
      if (refund.status === 'approved') events.push(afterApproval(refund, order));
      await writeBack(manager, refund);
      await addToOutbox(manager, events);
      return refund;
    });
    return refundView(refund);
  }

  /** An operator sends a failed refund to the provider again: its amount is committed on the ledger again. */
  async retry(id: string, principal: Principal): Promise<RefundView> {
    const found = this.visible(await this.dataSource.getRepository(RefundEntity).findOneBy({ id }), id, principal);
    const refund = await this.underOrderLock(found.orderId, async (lock, manager) => {
      await lockLedger(manager, found.orderId);
      await assertFencingToken(manager, lock.key, lock.token);
      const refund = this.visible(await manager.findOne(RefundEntity, { where: { id }, lock: { mode: 'pessimistic_write' } }), id, principal);
      const event = applyRefundAction(refund, 'retry', actorOf(principal), { change: (r) => (r.failureReason = null) });
      await adjustCommitted(manager, refund.orderId, refund.amount);
      await writeBack(manager, refund);
      await addToOutbox(manager, event);
      return refund;
    });
    return refundView(refund);
  }

  /** A refund the caller may see; a customer sees only their own (others are "not found"). */
  private visible(refund: RefundEntity | null, id: string, principal: Principal): RefundEntity {
    if (!refund || (principal.role === 'customer' && refund.customerId !== principal.sub)) {
      throw refundError(RefundErrorCode.RefundNotFound, `Refund ${id} was not found.`);
    }
    return refund;
  }

  /**
   * Runs `fn` in a transaction under the Redis lock `order:<orderId>`. A busy lock, or one that a
   * newer holder has overtaken (fencing), is 409 `refund_in_progress`: the caller may retry.
   */
  private async underOrderLock<T>(orderId: string, fn: (lock: HeldLock, manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.locks.withLock(`order:${orderId}`, (lock) => this.dataSource.transaction((manager) => fn(lock, manager)));
    } catch (error) {
      if (error instanceof LockTimeoutError || error instanceof StaleLockError) {
        throw refundError(RefundErrorCode.RefundInProgress, 'Another refund on this order is being processed; try again shortly.');
      }
      if (error instanceof LockUnavailableError) {
        throw refundError(RefundErrorCode.LockUnavailable, 'Refunds cannot be serialised right now; try again shortly.');
      }
      throw error;
    }
  }
}
