import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type DomainEvent, type OrderPlaced, newId } from '@ebb/contracts';
import type { Principal } from '@ebb/http';
import { addToOutbox } from '@ebb/messaging';
import { Order, OrderLine, type OrderWithLines } from './order.entity';
import { OrderErrorCode, orderError } from './order-errors';
import { type OrderAction, type OrderState, orderMachine } from './order-state';
import { type CreateOrderInput, type ListOrdersQuery, type ShipmentInput, orderTotal } from './order.schemas';

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
export class OrdersService {
  constructor(private readonly dataSource: DataSource) {}

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
      carrier: null,
      trackingNumber: null,
      shippedAt: null,
      deliveredAt: null,
      createdAt: now,
      updatedAt: now,
    };
    const lines: OrderLine[] = input.items.map((item, index) => ({ orderId: order.id, lineNo: index + 1, ...item }));
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
      await addToOutbox(manager, { type: 'order.placed', payload: placed });
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

  async ship(id: string, shipment: ShipmentInput): Promise<OrderWithLines> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.lockOrFail(manager, id);
      if (!orderMachine.can(stateOf(order), 'ship')) {
        throw orderError(OrderErrorCode.NotShippable, 'Only an open order whose payment is captured can ship.', stateOf(order));
      }
      const shippedAt = new Date();
      await this.transition(manager, order, 'ship', { carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, shippedAt }, {
        type: 'order.shipped',
        payload: { orderId: id, carrier: shipment.carrier, trackingNumber: shipment.trackingNumber, shippedAt: shippedAt.toISOString() },
      });
      return { order, lines: await this.lines(manager, id) };
    });
  }

  async deliver(id: string): Promise<OrderWithLines> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.lockOrFail(manager, id);
      if (!orderMachine.can(stateOf(order), 'deliver')) {
        throw orderError(OrderErrorCode.NotDeliverable, 'Only a shipped order can be delivered.', stateOf(order));
      }
      const deliveredAt = new Date();
      await this.transition(manager, order, 'deliver', { deliveredAt }, {
        type: 'order.delivered',
        payload: { orderId: id, deliveredAt: deliveredAt.toISOString() },
      });
      return { order, lines: await this.lines(manager, id) };
    });
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

  private async lockOrFail(manager: EntityManager, id: string): Promise<Order> {
    const order = await this.lock(manager, id);
    if (!order) throw orderError(OrderErrorCode.NotFound, `No order ${id}.`);
    return order;
  }

  async load(manager: EntityManager, id: string): Promise<OrderWithLines | null> {
    const order = await manager.getRepository(Order).findOneBy({ id });
    return order && { order, lines: await this.lines(manager, id) };
  }

  private lines(manager: EntityManager, orderId: string): Promise<OrderLine[]> {
    return manager.getRepository(OrderLine).find({ where: { orderId }, order: { lineNo: 'ASC' } });
  }
}
