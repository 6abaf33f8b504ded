import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import type { EntityManager } from 'typeorm';
import { OrderCapturedAfterCancel, PaymentDuplicateCaptured, PaymentFailed, PaymentSucceeded, type RefundSnapshot, OrderCaptured, OrderCancelled, RefundCancelled, RefundRejected, RefundSucceeded, InventoryReservationFailed } from '@ebb/contracts';
import { sumMinor } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import { orderMachine } from './order-state';
import type { Order } from './order.entity';
import { OrdersService } from './orders.service';
import { ShipDeadlineHandler } from './ship-deadline.handler';

/** Inbox keys of the handlers: stable across releases, or a redelivered message would count again. */
export const OrderHandlers = {
  capturePayment: 'orders.capture-payment',
  notePaymentFailure: 'orders.note-payment-failure',
  cancelUnreserved: 'orders.cancel-unreserved',
  applyRefund: 'orders.apply-refund',
  releaseHoldOfCancelled: 'orders.release-hold-of-cancelled-refund',
  releaseHoldOfRejected: 'orders.release-hold-of-rejected-refund',
  noteDuplicatePayment: 'orders.note-duplicate-payment',
} as const;

/**
 * What other services' events do to an order. Each handler runs in the consumer's inbox transaction
 * and touches only its `manager`; an event about an unknown order throws, so it is retried, then parked.
 */
@Injectable()
export class OrderEventsHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    private readonly orders: OrdersService,
    private readonly shipDeadline: ShipDeadlineHandler,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit() {
    this.consumer
      .on(PaymentSucceeded, OrderHandlers.capturePayment, (message, manager) => this.capturePayment(message, manager))
      .on(PaymentFailed, OrderHandlers.notePaymentFailure, async (message) => this.notePaymentFailure(message))
      .on(InventoryReservationFailed, OrderHandlers.cancelUnreserved, (message, manager) =>
        this.cancelUnreserved(message, manager),
      )
      .on(RefundSucceeded, OrderHandlers.applyRefund, (message, manager) => this.applyRefund(message, manager))
      .on(RefundCancelled, OrderHandlers.releaseHoldOfCancelled, (message, manager) => this.releaseHold(message, manager))
      .on(RefundRejected, OrderHandlers.releaseHoldOfRejected, (message, manager) => this.releaseHold(message, manager))
      .on(PaymentDuplicateCaptured, OrderHandlers.noteDuplicatePayment, (message, manager) => this.noteDuplicate(message, manager));
  }

  private async lockOrThrow(manager: EntityManager, orderId: string, type: string) {
    const order = await this.orders.lock(manager, orderId);
    // possibly a message from before this order committed, or from another installation: retry, then park
    if (!order) throw new Error(`${type} for unknown order ${orderId}`);
    return order;
  }

  /** payment.succeeded → the capture is recorded once; a second payment is logged for someone to refund. */
  async capturePayment({ payload, type }: IncomingMessage<PaymentSucceeded>, manager: EntityManager) {
    const order = await this.lockOrThrow(manager, payload.orderId, type);
    const log = { orderId: order.id, paymentId: payload.paymentId, amount: payload.amount };
    if (order.paymentStatus !== 'pending') {
      if (order.paymentId === payload.paymentId) this.logger.info(log, 'payment already captured; nothing to do');
      else this.logger.warn({ ...log, capturedPaymentId: order.paymentId }, 'a second payment succeeded for a captured order; it needs a refund');
      return;
    }
    if (payload.currency !== order.currency) {
      throw new Error(`payment ${payload.paymentId} is in ${payload.currency}, order ${order.id} in ${order.currency}`);
    }
    if (payload.amount !== order.totalAmount) {
      this.logger.warn({ ...log, totalAmount: order.totalAmount }, 'captured amount differs from the order total');
    }
    const action = order.status === 'cancelled' ? 'capture_after_cancel' : 'capture';
    const captured = { orderId: order.id, customerId: order.customerId, email: order.email, paymentId: payload.paymentId, amount: payload.amount, currency: order.currency, locale: order.locale };
    const events = [OrderCaptured.of(captured)];
    if (action === 'capture_after_cancel') {
      // the provider took the money of an order already cancelled: refund-service pays it back
      this.logger.warn(log, 'payment captured for a cancelled order; the system refunds it');
      events.push(OrderCapturedAfterCancel.of(captured));
    }
    await this.orders.transition(manager, order, action, { capturedAmount: payload.amount, paymentId: payload.paymentId }, events);
    // the order now owes its shipment: its promised date is a timer from this commit on
    if (action === 'capture') await this.shipDeadline.scheduleFor(manager, order);
  }

  /** payment.failed → the order stays pending: the customer may pay again. */
  notePaymentFailure({ payload }: IncomingMessage<PaymentFailed>) {
    this.logger.info({ orderId: payload.orderId, paymentId: payload.paymentId, reason: payload.reason }, 'payment failed; order still awaits payment');
  }

  /** inventory.reservation_failed → an order still awaiting payment is cancelled. */
  async cancelUnreserved({ payload, type }: IncomingMessage<{ orderId: string; reason: string }>, manager: EntityManager) {
    const order = await this.lockOrThrow(manager, payload.orderId, type);
    if (!orderMachine.can(order, 'cancel')) {
      this.logger.warn({ orderId: order.id, status: order.status, paymentStatus: order.paymentStatus, reason: payload.reason },
        'stock could not be reserved for an order past payment; left as it is');
      return;
    }
    await this.orders.transition(manager, order, 'cancel', {}, OrderCancelled.of({ orderId: order.id, reason: `stock not reserved: ${payload.reason}` }));
  }

  /** payment.duplicate_captured → the order shows the money captured beyond its payment, until it is paid back. */
  async noteDuplicate({ payload, type }: IncomingMessage<PaymentDuplicateCaptured>, manager: EntityManager) {
    const order = await this.lockOrThrow(manager, payload.orderId, type);
    await manager.query(
      `INSERT INTO order_duplicate_payments (payment_id, order_id, amount, currency, status) VALUES ($1, $2, $3, $4, 'refund_pending')
       ON CONFLICT (payment_id) DO NOTHING`,
      [payload.paymentId, order.id, String(payload.amount), payload.currency],
    );
  }

  /** refund.cancelled / refund.rejected → goods held for it may ship again (a hold still on its way will hold nothing). */
  async releaseHold({ payload, type }: IncomingMessage<RefundSnapshot>, manager: EntityManager) {
    const order = await this.lockOrThrow(manager, payload.orderId, type);
    await this.orders.endHold(manager, order.id, payload.refundId, 'released');
  }

  /**
   * refund.succeeded → refundedAmount grows once per refund id (the applied-refunds table), never
   * above what was captured (checked here, and by the database's CHECK as the last word).
   */
  async applyRefund({ payload, type, messageId }: IncomingMessage<RefundSnapshot>, manager: EntityManager) {
    const order = await this.lockOrThrow(manager, payload.orderId, type);
    // money given back at the provider outside Ebb: counted like any refund, and shown to support
    if (payload.refundedOutsideEbb) {
      await manager.query(
        `INSERT INTO order_support_flags (order_id, kind, refund_id, amount, currency, note) VALUES ($1, 'refunded_outside_ebb', $2, $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [order.id, payload.refundId, String(payload.amount), payload.currency, payload.note ?? null],
      );
    }
    // a duplicate capture paid back: shown on the order, never part of what the order itself refunded
    if (payload.paymentId) {
      await manager.query(
        `UPDATE order_duplicate_payments SET status = 'refunded', refund_id = $2, refunded_at = now() WHERE payment_id = $1 AND status <> 'refunded'`,
        [payload.paymentId, payload.refundId],
      );
      return;
    }
    // goods held for it never ship
    await this.orders.endHold(manager, order.id, payload.refundId, 'refunded');
    if (payload.shipped && payload.restockItems?.length) await this.recordReturn(manager, order, payload.restockItems, payload.refundId);
    const inserted: unknown[] = await manager.query(
      `INSERT INTO order_applied_refunds (refund_id, order_id, amount, message_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (refund_id) DO NOTHING RETURNING 1`,
      [payload.refundId, order.id, String(payload.amount), messageId],
    );
    const log = { orderId: order.id, refundId: payload.refundId, amount: payload.amount };
    if (inserted.length === 0) {
      this.logger.info(log, 'refund already applied; nothing to do');
      return;
    }
    if (payload.currency !== order.currency) {
      throw new Error(`refund ${payload.refundId} is in ${payload.currency}, order ${order.id} in ${order.currency}`);
    }
    if (payload.amount === 0) {
      this.logger.warn(log, 'a refund of nothing succeeded; recorded, order unchanged');
      return;
    }
    const refundedAmount = sumMinor([order.refundedAmount, payload.amount]);
    if (refundedAmount > order.capturedAmount) {
      throw new Error(`refund ${payload.refundId} would take order ${order.id} to ${refundedAmount}, above the ${order.capturedAmount} captured`);
    }
    const action = refundedAmount === order.capturedAmount ? 'refund_fully' : 'refund_partially';
    // nothing consumes a change of the order's payment status: it is read from the order (and its history), not announced
    await this.orders.transition(manager, order, action, { refundedAmount }, []);
  }

  /**
   * What came back of the shipment (the refund's restocked goods), once per refund (the caller's
   * applied-refunds check comes after: a refund counted twice is refused there, so this runs only
   * in a transaction that commits it once); every shipped line back → `fulfillmentStatus: returned`.
   */
  private async recordReturn(manager: EntityManager, order: Order, items: { sku: string; quantity: number }[], refundId: string) {
    const [already]: unknown[] = await manager.query(`SELECT 1 FROM order_applied_refunds WHERE refund_id = $1`, [refundId]);
    if (already) return;
    await manager.query(
      `UPDATE order_lines l SET returned_quantity = least(l.shipped_quantity, l.returned_quantity + r.quantity)
         FROM unnest($2::text[], $3::int[]) AS r(sku, quantity) WHERE l.order_id = $1 AND l.sku = r.sku`,
      [order.id, items.map((item) => item.sku), items.map((item) => item.quantity)],
    );
    const lines = await this.orders.lines(manager, order.id);
    const allBack = lines.some((line) => line.shippedQuantity > 0) && lines.every((line) => line.returnedQuantity >= line.shippedQuantity);
    if (allBack && orderMachine.can(order, 'return')) await this.orders.transition(manager, order, 'return', {}, []);
  }
}
