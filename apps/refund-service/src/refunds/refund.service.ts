import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type OrderMessage, majorToMinor, multiplyMinor, newId, sumMinor } from '@ebb/contracts';
import { type FieldError, HttpErrorCode, IdempotencyStore, type Principal, httpError } from '@ebb/http';
import { type HeldLock, LockService, LockTimeoutError, LockUnavailableError, StaleLockError, assertFencingToken } from '@ebb/locking';
import { type ClaimedCall, OutboundCalls } from '@ebb/outbound';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { assertWithinRefundWindow } from '../policies/refund-window';
import { RefundEntity, type RefundLine } from './refund.entity';
import { RefundErrorCode, refundError } from './refund.errors';
import { refundRequestSeconds } from './refund.metrics';
import type { Initiator, ListRefundsQuery, RequestRefundBody } from './refund.schemas';
import { type RefundView, refundView } from './refund.view';
import { lockLedger } from './refund-ledger';
import { type OrderAtApproval, afterApproval, openAndDecide } from './after-approval';
import { applyRefundAction, lockRefund, saveRefund } from './refund-lifecycle';
import { RELEASED_STATUSES, type RefundAction } from './refund-state';

/** Who did it, as history entries name them. */
export const actorOf = (principal: Principal) => `${principal.role}:${principal.sub}`;
/** What support does to one refund (each an action of the refund's machine). */
export type SupportAction = Extract<RefundAction, 'approve' | 'reject' | 'cancel' | 'receive_return' | 'pass_inspection' | 'fail_inspection'>;

/** A change to a refund and the call it waits for, if any (goods to hold before money moves). */
interface Changed {
  refund: RefundEntity;
  hold?: ClaimedCall;
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
export class RefundService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly locks: LockService,
    private readonly calls: OutboundCalls,
    private readonly idempotency: IdempotencyStore,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
  ) {}

  onModuleInit() {
    // a refund request or action whose answer was lost is answered with the refund as it stands
    this.idempotency.answerEffects('refund', async (id) => refundView(await this.find(id)));
  }

  /**
   * POST /v1/refunds: read the order (gRPC, before any lock or transaction), then under the order's
   * lock and in one transaction check what is still refundable, commit the amount on the ledger and
   * write the refund with its history and events. Goods that have not shipped are then held back
   * from shipping (order-service) before the money moves; the answer waits for that call.
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

    const created = await this.underOrderLock(order.id, (lock, manager) =>
      this.createRefund(manager, lock, { body, order, skus, items, linesValue, initiator, actor: actorOf(principal) }),
    );
    const refund = await this.afterCommit(created);
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
  ): Promise<Changed> {
    const { body, order, skus, items, linesValue } = input;
    const ledger = await lockLedger(manager, order.id, order.capturedAmount);
    await assertFencingToken(manager, lock.key, lock.token);

    const left = await this.goodsLeft(manager, order.id, skus);
    if (items) this.checkQuantities(left, items);
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
    // the goods it covers: the lines asked for, or every line left when it refunds everything still refundable
    const goods = items ?? (amount === refundable ? [...left].filter(([, quantity]) => quantity > 0).map(([sku, quantity]) => ({ sku, quantity })) : []);

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
      goods,
      returned: null,
      shipped: order.fulfillmentStatus !== 'unfulfilled',
      restock: false,
      note: body.note ?? null,
      paymentId: null,
      cause: null,
      providerRefundId: null,
      failureReason: null,
      history: [{ status: 'requested', at: now.toISOString(), actor: input.actor, ...(body.note ? { note: body.note } : {}) }],
      createdAt: now,
      updatedAt: now,
    });
    const { events, hold } = await openAndDecide(manager, refund, order, majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, order.currency));
    await saveRefund(manager, refund, events, { answer: !hold });
    return { refund, hold };
  }

  /**
   * How many units of each sku the order has left to refund: ordered, less the goods of its active
   * and succeeded refunds (read under the ledger lock, so concurrent requests see each other's).
   */
  private async goodsLeft(manager: EntityManager, orderId: string, skus: OrderedSkus): Promise<Map<string, number>> {
    const rows: { sku: string; quantity: number }[] = await manager.query(
      `SELECT line->>'sku' AS sku, sum((line->>'quantity')::int)::int AS quantity
         FROM refunds, jsonb_array_elements(refunds.goods) AS line
        WHERE refunds.order_id = $1 AND refunds.status <> ALL($2::text[])
        GROUP BY 1`,
      [orderId, RELEASED_STATUSES],
    );
    const held = new Map(rows.map((row) => [row.sku, row.quantity]));
    return new Map([...skus].map(([sku, { quantity }]) => [sku, quantity - (held.get(sku) ?? 0)]));
  }

  /** Each line may refund at most what was ordered less what active and succeeded refunds already hold. */
  private checkQuantities(left: Map<string, number>, items: RefundLine[]): void {
    const over = items.flatMap((line) => {
      const remaining = left.get(line.sku) ?? 0;
      return line.quantity > remaining ? [{ sku: line.sku, requested: line.quantity, remaining }] : [];
    });
    if (over.length > 0) {
      throw refundError(RefundErrorCode.QuantityExceedsOrdered, 'A line asks for more units than the order has left to refund.', over);
    }
  }

  /** After the commit: the call the change waits for (goods held back from shipping) is made now, and the refund read again. */
  private async afterCommit({ refund, hold }: Changed): Promise<RefundEntity> {
    if (!hold) return refund;
    await this.calls.runClaimed(hold);
    return this.find(refund.id);
  }

  private async find(id: string): Promise<RefundEntity> {
    const refund = await this.dataSource.getRepository(RefundEntity).findOneBy({ id });
    if (!refund) throw refundError(RefundErrorCode.RefundNotFound, `Refund ${id} was not found.`);
    return refund;
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

  /**
   * Oldest first; with `updatedAfter`, the refunds changed after that instant, oldest change first —
   * but only changes older than the oldest transaction still open on the database: one of those may
   * yet commit a change stamped earlier than what the feed would otherwise answer, and a client
   * whose cursor had moved past it would never see it. Such a change is answered once it commits.
   */
  async list(filter: ListRefundsQuery, principal: Principal): Promise<{ items: RefundView[] }> {
    const query = this.dataSource.getRepository(RefundEntity).createQueryBuilder('r');
    if (filter.orderId) query.andWhere('r.order_id = :orderId', { orderId: filter.orderId });
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (principal.role === 'customer') query.andWhere('r.customer_id = :customerId', { customerId: principal.sub });
    if (filter.updatedAfter) {
      query
        .andWhere('r.updated_at > :updatedAfter', { updatedAfter: new Date(filter.updatedAfter) })
        .andWhere(
          `r.updated_at < (SELECT date_trunc('milliseconds', min(xact_start)) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL)`,
        )
        .orderBy('r.updated_at', 'ASC')
        .addOrderBy('r.id', 'ASC');
    } else {
      query.orderBy('r.created_at', 'ASC').addOrderBy('r.id', 'ASC');
    }
    const refunds = await query.limit(filter.limit).getMany();
    return { items: refunds.map(refundView) };
  }

  /**
   * One action of support (or the customer's cancel) on one refund: its history entry, ledger
   * effect and events in one transaction. An approval reads the order first (gRPC, outside the
   * transaction): goods that shipped since the request are intercepted or awaited, never refunded blind.
   */
  async act(id: string, action: SupportAction, principal: Principal, options: { note?: string; returned?: RefundLine[] } = {}): Promise<RefundView> {
    let order: OrderAtApproval = { fulfillmentStatus: 'unfulfilled', capturedAmount: 0, items: [] };
    if (action === 'approve') {
      const found = this.visible(await this.dataSource.getRepository(RefundEntity).findOneBy({ id }), id, principal);
      order = await this.orders.getOrder(found.orderId);
    }
    const changed = await this.dataSource.transaction(async (manager): Promise<Changed> => {
      const refund = this.visible(await lockRefund(manager, id), id, principal);
      if (action === 'cancel' && refund.status === 'intercepting') {
        // the carrier's answer decides: a parcel already stopped is refunded, one too late can be cancelled then
        throw refundError(RefundErrorCode.RefundInProgress, 'The carrier is being asked to stop the parcel; try again once it has answered.');
      }
      const change = (r: RefundEntity) => {
        if (action === 'approve' && order.fulfillmentStatus !== 'unfulfilled') r.shipped = true;
        // what support received: the lines named, else the goods the refund covers
        if (action === 'receive_return') r.returned = options.returned ?? r.goods;
        // the returned goods passed: they go back on hand once the money is back
        if (action === 'pass_inspection') r.restock = true;
      };
      const events = [await applyRefundAction(manager, refund, action, actorOf(principal), { note: options.note, change })];
      let hold: ClaimedCall | undefined;
      if (refund.status === 'approved') {
        const next = await afterApproval(manager, refund, order);
        events.push(...next.events);
        hold = next.hold;
      }
      await saveRefund(manager, refund, events, { answer: !hold });
      return { refund, hold };
    });
    return refundView(await this.afterCommit(changed));
  }

  /** An operator sends a failed refund to the provider again: its amount is committed on the ledger again. */
  async retry(id: string, principal: Principal): Promise<RefundView> {
    const found = this.visible(await this.dataSource.getRepository(RefundEntity).findOneBy({ id }), id, principal);
    const refund = await this.underOrderLock(found.orderId, async (lock, manager) => {
      const refund = this.visible(await lockRefund(manager, id), id, principal);
      await assertFencingToken(manager, lock.key, lock.token);
      const event = await applyRefundAction(manager, refund, 'retry', actorOf(principal), { change: (r) => (r.failureReason = null) });
      await saveRefund(manager, refund, [event]);
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
