import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type OrderMessage, localeOr, majorToMinor, multiplyMinor, newId, sumMinor } from '@ebb/contracts';
import { type FieldError, HttpErrorCode, type Principal, httpError } from '@ebb/http';
import { type HeldLock, assertFencingToken } from '@ebb/locking';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { type ClosedWindow, RefundWindows } from '../policies/refund-windows';
import { type OverriddenWindow, Refund, type RefundLine } from './refund.entity';
import { RefundErrorCode, refundError } from './refund-errors';
import { refundRequestSeconds } from './refund.metrics';
import type { Initiator, RequestRefundBody } from './refund.schemas';
import { type RefundView, refundView } from './refund.view';
import { lockLedger } from './refund-ledger';
import { isGoodwillGrant, openAndDecide } from './after-approval';
import { saveRefund } from './refund-lifecycle';
import { type OrderedSkus, goodsLeft, orderedSkus } from './order-goods';
import { RefundTimers } from './refund-timers';
import { RefundPolicy } from '../policies/refund-policy.entity';
import { type Changed, RefundUnitOfWork, actorOf } from './refund-unit-of-work';

/** POST /v1/refunds: what a refund may be, checked against the order, its windows and its ledger; then decided. */
@Injectable()
export class RefundRequests {
  constructor(
    private readonly dataSource: DataSource,
    private readonly unit: RefundUnitOfWork,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
    private readonly timers: RefundTimers,
    private readonly windows: RefundWindows,
  ) {}

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
    const override = await this.checkWindows(body, order, principal, initiator);

    // a seller who reviews by hand decides what customers ask for; support and the system decide themselves
    const manualReview = initiator === 'customer' && (await this.reviewOf(order.sellerId)) === 'manual';
    const created = await this.unit.underOrderLock(order.id, (lock, manager) =>
      this.createRefund(manager, lock, { body, order, skus, items, linesValue, initiator, actor: actorOf(principal), manualReview, override }),
    );
    const refund = await this.unit.afterCommit(created);
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
      manualReview: boolean;
      override?: { reason: string; windows: OverriddenWindow[] };
    },
  ): Promise<Changed> {
    const { body, order, skus, items, linesValue } = input;
    const ledger = await lockLedger(manager, order.id, order.capturedAmount);
    await assertFencingToken(manager, lock.key, lock.token);

    const left = await goodsLeft(manager, order.id, skus);
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
    // goodwill that support grants gives money and takes no goods back
    const goods = isGoodwillGrant({ reason: body.reason, initiator: input.initiator })
      ? []
      : (items ?? (amount === refundable ? [...left].filter(([, quantity]) => quantity > 0).map(([sku, quantity]) => ({ sku, quantity })) : []));

    const now = new Date();
    const refund = manager.create(Refund, {
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
      locale: localeOr(order.locale),
      sellerId: order.sellerId || null,
      sellerReview: input.manualReview,
      autoApproveAt: null,
      slaBreachedAt: null,
      providerRefundId: null,
      failureReason: null,
      history: [
        {
          status: 'requested',
          at: now.toISOString(),
          actor: input.actor,
          ...(body.note ? { note: body.note } : {}),
          ...(input.override ? { windowOverride: input.override } : {}),
        },
      ],
      createdAt: now,
      updatedAt: now,
    });
    const { events, hold, holding } = await openAndDecide(manager, refund, order, majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, order.currency), {
      manualReviewUntil: input.manualReview ? this.timers.autoApproveAt(now) : undefined,
    });
    await this.timers.schedule(manager, refund);
    // waiting on the hold: its answer's transaction tells every step in one event
    await saveRefund(manager, refund, events, { answer: !holding, announce: !holding });
    return { refund, hold };
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

  private async reviewOf(sellerId: string) {
    const policy = await this.dataSource.getRepository(RefundPolicy).findOneBy({ scope: 'seller', scopeId: sellerId });
    return policy?.review ?? 'automatic';
  }

  /**
   * The refund windows of the products refunded (the lines named, or every line), for every role:
   * outside one, 422 `refund_window_expired` with the first closed window; support and admin may pass
   * `overrideWindow` (the reason, kept in the history). Refunds the system starts itself (a service's
   * `initiator: system`) are never refused by a window.
   */
  private async checkWindows(body: RequestRefundBody, order: OrderMessage, principal: Principal, initiator: Initiator): Promise<{ reason: string; windows: OverriddenWindow[] } | undefined> {
    if (body.overrideWindow !== undefined && principal.role !== 'support' && principal.role !== 'admin') {
      throw httpError(HttpErrorCode.ValidationError, 'The request body is invalid.', [{ field: 'overrideWindow', message: 'may be given by support and admin only' }]);
    }
    if (principal.role === 'service' && initiator === 'system') return undefined;
    const asked = body.items ? new Set(body.items.map((line) => line.sku)) : undefined;
    const productIds = order.items.filter((line) => !asked || asked.has(line.sku)).map((line) => line.productId);
    const closed: ClosedWindow[] = await this.windows.closed(order, productIds);
    if (closed.length === 0) return undefined;
    if (body.overrideWindow === undefined) {
      const [first] = closed;
      throw refundError(RefundErrorCode.RefundWindowExpired, `The refund window of ${first.windowDays} days on this order closed at ${first.expiredAt}.`, {
        windowDays: first.windowDays,
        source: first.source,
        expiredAt: first.expiredAt,
        productId: first.productId,
        products: closed,
      });
    }
    return { reason: body.overrideWindow, windows: closed };
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
}
