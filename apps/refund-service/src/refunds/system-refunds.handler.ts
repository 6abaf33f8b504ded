import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import {
  type GoodsLine,
  InventoryStockShort,
  type Locale,
  OrderCapturedAfterCancel,
  type OrderMessage,
  OrderPriceErrorFlagged,
  OrderShipDeadlineMissed,
  PaymentDuplicateCaptured,
  type RefundReason,
  localeOr,
  majorToMinor,
  multiplyMinor,
  newId,
  sumMinor,
} from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { CallRefusedError, OutboundCalls, defineCall, exponentialBackoff, recordCall } from '@ebb/outbound';
import { OrderNotFoundError } from '@ebb/service';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { type DecideOptions, type OrderAtApproval, SYSTEM, openAndDecide } from './after-approval';
import { goodsLeft, orderedSkus } from './order-goods';
import { Refund, type RefundLine, ledgerKeyOf } from './refund.entity';
import { lockLedger } from './refund-ledger';
import { saveRefund } from './refund-lifecycle';
import { RefundTimers } from './refund-timers';

/** What the system refunds, and why: one refund per `key`, however often the cause is seen. */
interface Cause {
  key: string;
  orderId: string;
  reason: RefundReason;
  note: string;
}

/** A cause whose event carries the money (a capture): nothing to read first. */
interface PaidCause extends Cause {
  customerId: string;
  email: string;
  currency: string;
  amount: number;
  locale?: Locale;
  /** the duplicate payment it pays back (its own ledger); absent for the order's own capture */
  paymentId?: string;
}

/** A cause about the order's goods: the order is read first (lines, prices, what is left); no `lines` is the whole order. */
interface OrderCause extends Cause {
  lines?: GoodsLine[];
}

/**
 * order-service is asked for the order a system refund is about (its lines, prices and capture), with
 * no transaction open; the refund is made in the transaction that records the answer. Keyed by the
 * cause: a cause seen twice asks once.
 */
export const ReadOrderForSystemRefund = defineCall<OrderCause>('order.read-for-system-refund', {
  maxAttempts: 12,
  backoffMs: exponentialBackoff(500, 5 * 60_000),
});

/**
 * Refunds the system starts itself (`initiator: system`), each once per cause, decided as any refund
 * is (a person above the automatic limit; never a refund window, never a seller's manual review):
 * money captured twice (`payment.duplicate_captured`: that payment, on its own ledger) or for an
 * order already cancelled, straight from the event; and, after reading the order, an order not
 * shipped by its promised date (the whole order, `not_shipped_in_time`), lines flagged as sold at a
 * wrong price (`price_error`), units a stock count found missing (`out_of_stock`: those units only).
 */
@Injectable()
export class SystemRefundsHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    private readonly calls: OutboundCalls,
    private readonly timers: RefundTimers,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onModuleInit(): void {
    this.consumer
      .on(PaymentDuplicateCaptured, 'refunds.refund-duplicate-payment', ({ payload }: IncomingMessage<PaymentDuplicateCaptured>, manager) =>
        this.refundPaid(manager, {
          key: `duplicate:${payload.paymentId}`,
          orderId: payload.orderId,
          customerId: payload.customerId,
          email: payload.email,
          currency: payload.currency,
          amount: payload.amount,
          reason: 'duplicate_payment',
          note:
            payload.cause === 'captured_after_cancel'
              ? `payment ${payload.paymentId} was paid after it was cancelled: it is paid back`
              : `payment ${payload.paymentId} captured the order a second time: it is paid back`,
          paymentId: payload.paymentId,
        }),
      )
      .on(OrderCapturedAfterCancel, 'refunds.refund-capture-after-cancel', ({ payload }, manager) =>
        this.refundPaid(manager, {
          key: `cancelled-order:${payload.paymentId}`,
          orderId: payload.orderId,
          customerId: payload.customerId,
          email: payload.email,
          currency: payload.currency,
          amount: payload.amount,
          locale: payload.locale,
          reason: 'other',
          note: 'the order was cancelled before its payment arrived: the payment is paid back',
        }),
      )
      .on(OrderShipDeadlineMissed, 'refunds.refund-late-shipment', ({ payload }, manager) =>
        this.readOrderFor(manager, {
          key: `not-shipped-in-time:${payload.orderId}`,
          orderId: payload.orderId,
          reason: 'not_shipped_in_time',
          note: `not shipped by ${payload.promisedShipBy}, as promised: the order is refunded whole`,
        }),
      )
      .on(OrderPriceErrorFlagged, 'refunds.refund-price-error', ({ payload }, manager) =>
        this.readOrderFor(manager, {
          key: `price-error:${payload.orderId}:${[...payload.skus].sort().join(',')}`,
          orderId: payload.orderId,
          reason: 'price_error',
          note: `sold at a wrong price: ${payload.note}`,
          // each flagged line whole: order-service flags a line once
          lines: payload.skus.map((sku) => ({ sku, quantity: Number.MAX_SAFE_INTEGER })),
        }),
      )
      .on(InventoryStockShort, 'refunds.refund-short-stock', ({ payload }, manager) =>
        this.readOrderFor(manager, {
          key: `out-of-stock:${payload.orderId}:${payload.sku}:${payload.shortQuantity}`,
          orderId: payload.orderId,
          reason: 'out_of_stock',
          note: `${payload.quantity} × ${payload.sku} can no longer be delivered: a stock count found it missing`,
          lines: [{ sku: payload.sku, quantity: payload.quantity }],
        }),
      );
    this.calls.handle<OrderCause, OrderMessage>(ReadOrderForSystemRefund, {
      call: ({ payload }) =>
        this.orders.getOrder(payload.orderId).catch((error: unknown) => {
          if ((error as { code?: string }).code === 'order_not_found' || error instanceof OrderNotFoundError) throw new CallRefusedError(`order ${payload.orderId} not found`, 'order_not_found');
          throw error;
        }),
      onResult: (manager, { payload }, order) => this.refundOrder(manager, payload, order),
      onRefused: async (_manager, { payload }, error) => {
        this.logger?.error({ cause: payload.key, err: error.message }, 'a system refund was not made: its order is unknown');
      },
    });
  }

  /** The intent, in the transaction of the event that shows the cause; the order is read after the commit. */
  private async readOrderFor(manager: EntityManager, cause: OrderCause): Promise<void> {
    if (await this.seen(manager, cause.key)) return;
    await recordCall(manager, ReadOrderForSystemRefund, cause.key, cause, { claim: 'on-commit' });
  }

  private async refundPaid(manager: EntityManager, cause: PaidCause): Promise<void> {
    if ((await this.seen(manager, cause.key)) || cause.amount <= 0) return;
    const refund = newSystemRefund(manager, cause, { ...cause, shipped: false, goods: [] });
    // the capture's own ledger: what this money can still pay back
    await lockLedger(manager, ledgerKeyOf(refund), cause.amount);
    await this.decide(manager, refund, { fulfillmentStatus: 'unfulfilled', capturedAmount: cause.amount, items: [] });
  }

  /** The order as it stands now: what of it can still be refunded, on its ledger (locked), goods held back as any refund's. */
  private async refundOrder(manager: EntityManager, cause: OrderCause, order: OrderMessage): Promise<void> {
    if (await this.seen(manager, cause.key)) return;
    const skip = (why: string) => this.logger?.warn({ cause: cause.key, orderId: order.id }, `no system refund: ${why}`);
    if (!(order.capturedAmount > 0)) return skip('nothing captured');
    // the order shipped after all (before the refund could hold it): late, but on its way
    if (!cause.lines && order.fulfillmentStatus !== 'unfulfilled') return skip('the order has shipped');
    const ledger = await lockLedger(manager, order.id, order.capturedAmount);
    const skus = orderedSkus(order);
    const left = await goodsLeft(manager, order.id, skus);
    const refundable = ledger.capturedAmount - ledger.committedAmount;
    const goods: RefundLine[] = (cause.lines ?? [...left].map(([sku, quantity]) => ({ sku, quantity })))
      .map((line) => ({ sku: line.sku, quantity: Math.min(line.quantity, left.get(line.sku) ?? 0) }))
      .filter((line) => line.quantity > 0);
    const linesValue = sumMinor(goods.map((line) => multiplyMinor(skus.get(line.sku)!.unitAmount, line.quantity)));
    const amount = cause.lines ? Math.min(linesValue, refundable) : refundable;
    if (amount <= 0) return skip('nothing left to refund');
    const refund = newSystemRefund(manager, cause, {
      customerId: order.customerId,
      email: order.email,
      currency: order.currency,
      amount,
      locale: localeOr(order.locale),
      sellerId: order.sellerId || undefined,
      shipped: order.fulfillmentStatus !== 'unfulfilled',
      goods,
      items: cause.lines ? goods : null,
    });
    await this.decide(manager, refund, order, { holdClaim: 'on-commit' });
  }

  private async decide(manager: EntityManager, refund: Refund, order: OrderAtApproval, options: DecideOptions = {}): Promise<void> {
    const { events, holding } = await openAndDecide(manager, refund, order, majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, refund.currency), options);
    await this.timers.schedule(manager, refund);
    // waiting on the goods hold: its answer tells the steps
    await saveRefund(manager, refund, events, { announce: !holding });
  }

  private async seen(manager: EntityManager, key: string): Promise<boolean> {
    const [seen]: unknown[] = await manager.query(`SELECT 1 FROM refunds WHERE cause = $1`, [key]);
    return Boolean(seen);
  }
}

/**
 * A refund the system opens for a cause (its `cause` key makes it once), `requested`, as its creating
 * transaction decides it next; `actor` names who started it in the history (the system, or a provider
 * for a refund made there outside Ebb).
 */
export function newSystemRefund(
  manager: EntityManager,
  cause: Cause,
  fields: Pick<Refund, 'customerId' | 'email' | 'currency' | 'amount' | 'shipped' | 'goods'> & {
    locale?: Locale;
    paymentId?: string | null;
    items?: RefundLine[] | null;
    id?: string;
    providerRefundId?: string;
    actor?: string;
    sellerId?: string;
  },
): Refund {
  const now = new Date();
  return manager.create(Refund, {
    id: fields.id ?? newId('ref'),
    orderId: cause.orderId,
    customerId: fields.customerId,
    email: fields.email,
    status: 'requested',
    amount: fields.amount,
    currency: fields.currency,
    reason: cause.reason,
    initiator: 'system',
    items: fields.items ?? null,
    goods: fields.goods,
    returned: null,
    shipped: fields.shipped,
    restock: false,
    note: cause.note,
    paymentId: fields.paymentId ?? null,
    cause: cause.key,
    providerRefundId: fields.providerRefundId ?? null,
    failureReason: null,
    locale: localeOr(fields.locale),
    sellerId: fields.sellerId ?? null,
    sellerReview: false,
    autoApproveAt: null,
    slaBreachedAt: null,
    history: [{ status: 'requested', at: now.toISOString(), actor: fields.actor ?? SYSTEM, note: cause.note }],
    createdAt: now,
    updatedAt: now,
  });
}
