import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { DEFAULT_LOCALE, type DomainEvent, type GoodsLine, OrderPlaced, type SellerSaleMessage, newId, OrderDelivered, OrderShipped } from '@ebb/contracts';
import { IdempotencyStore, type Principal, recordIdempotentEffect } from '@ebb/http';
import { addToOutbox } from '@ebb/messaging';
import { type DuplicatePayment, type SupportFlag, Order, OrderLine, type OrderWithLines } from './order.entity';
import { OrderErrorCode, orderError } from './order-errors';
import { type OrderAction, type OrderState, orderMachine } from './order-state';
import { type CreateOrderInput, type ListOrdersQuery, type ShipmentInput, orderTotal } from './order.schemas';
import { toOrderResponse } from './order.view';
import { type HoldStatus, holdsOf, insertHold, releaseHold, settleHold, unshippedLeft } from './refund-holds';

export const DEFAULT_SELLER_ID = 'default-seller';

/** Fields a transition may set beside the statuses (which only the machine sets). */
type OrderChanges = Partial<Omit<Order, 'id' | 'status' | 'paymentStatus' | 'fulfillmentStatus'>>;

const stateOf = (order: Order): OrderState => ({
  status: order.status,
  paymentStatus: order.paymentStatus,
  fulfillmentStatus: order.fulfillmentStatus,
});

/** Orders: placed over HTTP, moved by the machine, every change written with its event in one transaction. */
@Injectable()
export class OrdersService implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyStore,
  ) {}

  onModuleInit() {
    // an order-changing request whose answer was lost is answered with the order as it stands
    this.idempotency.answerEffects('order', async (id) => toOrderResponse(await this.find(id)));
  }

  async create(input: CreateOrderInput, principal: Principal): Promise<OrderWithLines> {
    if (principal.role === 'customer' && input.customerId !== principal.sub) {
      throw orderError(OrderErrorCode.Forbidden, 'A customer may place orders only for itself.');
    }
    const shippingAmount = input.shippingAmount ?? 0;
    const now = new Date();
    const order: Order = {
      id: newId('ord'),
      customerId: input.customerId,
      email: input.email,
      sellerId: input.sellerId ?? DEFAULT_SELLER_ID,
      currency: input.currency,
      shippingAmount,
      totalAmount: orderTotal(input.items, shippingAmount),
      capturedAmount: 0,
      refundedAmount: 0,
      ...orderMachine.initial,
      paymentId: null,
      promisedShipBy: input.promisedShipBy ? new Date(input.promisedShipBy) : null,
      locale: input.locale ?? DEFAULT_LOCALE,
      shipDeadlineMissedAt: null,
      carrier: null,
      trackingNumber: null,
      shippedAt: null,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const lines: OrderLine[] = input.items.map((item, index) => ({ orderId: order.id, lineNo: index + 1, ...item, shippedQuantity: 0, returnedQuantity: 0 }));
    const placed: OrderPlaced = {
      orderId: order.id,
      customerId: order.customerId,
      email: order.email,
      sellerId: order.sellerId,
      currency: order.currency,
      items: input.items,
      shippingAmount: order.shippingAmount,
      totalAmount: order.totalAmount,
    };
    await this.dataSource.transaction(async (manager) => {
      await manager.getRepository(Order).insert(order);
      await manager.getRepository(OrderLine).insert(lines);
      await this.recordHistory(manager, order.id, 'place', orderMachine.initial);
      await addToOutbox(manager, OrderPlaced, placed);
      await recordIdempotentEffect(manager, `order:${order.id}`, toOrderResponse({ order, lines }));
    });
    return { order, lines };
  }

  /** The order as its caller may see it: a customer's view of another's order is "not found". */
  async find(id: string, principal?: Principal): Promise<OrderWithLines> {
    const found = await this.load(this.dataSource.manager, id);
    if (!found || (principal?.role === 'customer' && found.order.customerId !== principal.sub)) {
      throw orderError(OrderErrorCode.NotFound, `No order ${id}.`);
    }
    return found;
  }

  /** Newest first; a customer sees only its own orders. */
  async list(query: ListOrdersQuery, principal: Principal): Promise<OrderWithLines[]> {
    let customerId = query.customerId;
    if (principal.role === 'customer') {
      if (customerId !== undefined && customerId !== principal.sub) {
        throw orderError(OrderErrorCode.Forbidden, 'A customer may list only its own orders.');
      }
      customerId = principal.sub;
    }
    const orders = await this.dataSource.getRepository(Order).find({
      where: customerId === undefined ? {} : { customerId },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: query.limit,
    });
    if (orders.length === 0) return [];
    const lines = await this.dataSource
      .getRepository(OrderLine)
      .createQueryBuilder('line')
      .where('line.order_id = ANY(:ids)', { ids: orders.map((order) => order.id) })
      .orderBy('line.line_no')
      .getMany();
    return orders.map((order) => ({ order, lines: lines.filter((line) => line.orderId === order.id) }));
  }

  /**
   * Ships what is left of the order: never goods held for a refund being paid (409
   * `order_refund_in_progress` until it ends), never lines refunded before shipping. The shipment
   * records its lines, and `order.shipped` carries them.
   */
  async ship(id: string, shipment: ShipmentInput): Promise<OrderWithLines> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.lockOrFail(manager, id);
      if (!orderMachine.can(stateOf(order), 'ship')) {
        throw orderError(OrderErrorCode.NotShippable, 'Only an open order whose payment is captured can ship.', stateOf(order));
      }
      const holds = await holdsOf(manager, id);
      const held = holds.filter((hold) => hold.status === 'held');
      if (held.length > 0) {
        throw orderError(OrderErrorCode.RefundInProgress, 'Goods of this order are being refunded; it can ship once the refund has ended.', {
          refundIds: held.map((hold) => hold.refundId),
        });
      }
      const lines = await this.lines(manager, id);
      const left = unshippedLeft(lines, holds);
      if (left.length === 0) throw orderError(OrderErrorCode.NotShippable, 'Every line of this order was refunded before it shipped: nothing is left to ship.');
      await manager.query(
        `UPDATE order_lines l SET shipped_quantity = l.shipped_quantity + s.quantity
           FROM unnest($2::text[], $3::int[]) AS s(sku, quantity) WHERE l.order_id = $1 AND l.sku = s.sku`,
        [id, left.map((line) => line.sku), left.map((line) => line.quantity)],
      );
      const shippedAt = new Date();
      await this.transition(manager, order, 'ship', { carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, shippedAt }, OrderShipped.of({ orderId: id, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, shippedAt: shippedAt.toISOString(), items: left }));
      const shipped = { order, lines: await this.lines(manager, id) };
      await recordIdempotentEffect(manager, `order:${id}`, toOrderResponse(shipped));
      return shipped;
    });
  }

  async deliver(id: string): Promise<OrderWithLines> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.lockOrFail(manager, id);
      if (!orderMachine.can(stateOf(order), 'deliver')) {
        throw orderError(OrderErrorCode.NotDeliverable, 'Only a shipped order can be delivered.', stateOf(order));
      }
      const deliveredAt = new Date();
      await this.transition(manager, order, 'deliver', { deliveredAt }, OrderDelivered.of({ orderId: id, deliveredAt: deliveredAt.toISOString() }));
      const delivered = { order, lines: await this.lines(manager, id) };
      await recordIdempotentEffect(manager, `order:${id}`, toOrderResponse(delivered));
      return delivered;
    });
  }

  /**
   * OrderQuery.HoldGoodsForRefund: under the order's row lock (the one a shipment takes), goods that
   * have not shipped are held for the refund, so the order can no longer ship them; an order that
   * shipped meanwhile holds nothing, and the refund waits for the goods. The same refund answers the
   * same again; a refund already ended here (cancelled, rejected) is not held.
   */
  async holdGoods(orderId: string, refundId: string, items: GoodsLine[]): Promise<{ held: boolean; order: OrderWithLines }> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.lockOrFail(manager, orderId);
      const existing = (await holdsOf(manager, orderId)).find((hold) => hold.refundId === refundId);
      let held: boolean;
      if (existing) held = existing.status !== 'released';
      else if (order.fulfillmentStatus !== 'unfulfilled') held = false;
      else {
        await insertHold(manager, orderId, refundId, items, 'held');
        held = true;
      }
      return { held, order: { order, lines: await this.lines(manager, orderId) } };
    });
  }

  /**
   * A refund's end as the goods see it: succeeded → held goods never ship (`refunded`); cancelled or
   * rejected → they may ship again (`released`). A refund that ends before its hold arrives leaves a
   * released mark, so a late hold for it holds nothing.
   */
  async endHold(manager: EntityManager, orderId: string, refundId: string, outcome: Exclude<HoldStatus, 'held'>): Promise<void> {
    if (outcome === 'refunded') await settleHold(manager, refundId);
    else await releaseHold(manager, orderId, refundId);
  }

  /**
   * Moves the order by `action` (the machine decides the statuses), applies `changes`, writes a
   * history entry and `events` to the outbox, all in the caller's transaction. Mutates `order` to the saved state.
   */
  async transition(manager: EntityManager, order: Order, action: OrderAction, changes: OrderChanges, events: DomainEvent | DomainEvent[]) {
    const next = orderMachine.transition(stateOf(order), action);
    Object.assign(order, changes, next, { updatedAt: new Date() });
    await manager.getRepository(Order).update({ id: order.id }, { ...changes, ...next, updatedAt: order.updatedAt });
    await this.recordHistory(manager, order.id, action, next);
    await addToOutbox(manager, events);
  }

  private async recordHistory(manager: EntityManager, orderId: string, action: OrderAction | 'place', state: OrderState) {
    await manager.query(
      `INSERT INTO order_history (order_id, action, status, payment_status, fulfillment_status) VALUES ($1, $2, $3, $4, $5)`,
      [orderId, action, state.status, state.paymentStatus, state.fulfillmentStatus],
    );
  }

  /** The order row locked until the transaction ends, so concurrent changes to one order queue up. */
  async lock(manager: EntityManager, id: string): Promise<Order | null> {
    return manager.getRepository(Order).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async lockOrFail(manager: EntityManager, id: string): Promise<Order> {
    const order = await this.lock(manager, id);
    if (!order) throw orderError(OrderErrorCode.NotFound, `No order ${id}.`);
    return order;
  }

  /**
   * When each seller last sold: the purchase time of its latest order whose payment was captured (an
   * unpaid or cancelled-before-payment order is no sale). Sellers with none are left out.
   */
  async lastSales(sellerIds: string[]): Promise<SellerSaleMessage[]> {
    if (sellerIds.length === 0) return [];
    const rows: { seller_id: string; last_sale_at: Date }[] = await this.dataSource.query(
      `SELECT seller_id, max(created_at) AS last_sale_at FROM orders
        WHERE seller_id = ANY($1::text[]) AND captured_amount > 0 GROUP BY seller_id ORDER BY seller_id`,
      [sellerIds],
    );
    return rows.map((row) => ({ sellerId: row.seller_id, lastSaleAt: row.last_sale_at.toISOString() }));
  }

  async load(manager: EntityManager, id: string): Promise<OrderWithLines | null> {
    const order = await manager.getRepository(Order).findOneBy({ id });
    if (!order) return null;
    const [lines, duplicates, flags] = await Promise.all([this.lines(manager, id), this.duplicates(manager, id), this.flags(manager, id)]);
    return { order, lines, duplicates, flags };
  }

  private async flags(manager: EntityManager, orderId: string): Promise<SupportFlag[]> {
    const rows: { kind: SupportFlag['kind']; refund_id: string; amount: string; currency: string; note: string | null; flagged_at: Date }[] = await manager.query(
      `SELECT kind, refund_id, amount, currency, note, flagged_at FROM order_support_flags WHERE order_id = $1 ORDER BY flagged_at, refund_id`,
      [orderId],
    );
    return rows.map((row) => ({ kind: row.kind, refundId: row.refund_id, amount: Number(row.amount), currency: row.currency, note: row.note, flaggedAt: new Date(row.flagged_at) }));
  }

  private async duplicates(manager: EntityManager, orderId: string): Promise<DuplicatePayment[]> {
    const rows: { payment_id: string; amount: string; currency: string; status: DuplicatePayment['status']; refund_id: string | null }[] = await manager.query(
      `SELECT payment_id, amount, currency, status, refund_id FROM order_duplicate_payments WHERE order_id = $1 ORDER BY captured_at, payment_id`,
      [orderId],
    );
    return rows.map((row) => ({ paymentId: row.payment_id, amount: Number(row.amount), currency: row.currency, status: row.status, refundId: row.refund_id }));
  }

  lines(manager: EntityManager, orderId: string): Promise<OrderLine[]> {
    return manager.getRepository(OrderLine).find({ where: { orderId }, order: { lineNo: 'ASC' } });
  }
}
