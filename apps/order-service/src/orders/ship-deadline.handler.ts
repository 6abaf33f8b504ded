import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { OrderShipDeadlineMissed } from '@ebb/contracts';
import { Jobs, defineJob } from '@ebb/jobs';
import { addToOutbox } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import type { Order } from './order.entity';
import { OrdersService } from './orders.service';

/** The promised shipping date of a captured order: scheduled with its capture, keyed by the order id. */
export const ShipDeadline = defineJob<{ orderId: string }>('order_ship_deadline');

/** Money still held: what the system can refund if the order does not ship in time. */
const REFUNDABLE = ['captured', 'partially_refunded'];

/**
 * Schedules, with the capture, the moment a captured order must have shipped (`promisedShipBy`); when
 * it comes and the order has not shipped, `order.ship_deadline_missed` is published once (marked on
 * the order in the same transaction) and refund-service refunds the whole order.
 */
@Injectable()
export class ShipDeadlineHandler implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly orders: OrdersService,
    private readonly jobs: Jobs,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.jobs.handle(ShipDeadline, ({ payload }) => this.dataSource.transaction((manager) => this.deadlineCame(manager, payload.orderId)));
  }

  /** In the capture's transaction: the deadline's timer, if the order promised one. */
  async scheduleFor(manager: EntityManager, order: Order): Promise<void> {
    if (order.promisedShipBy) await this.jobs.schedule(manager, ShipDeadline, order.id, { orderId: order.id }, order.promisedShipBy);
  }

  private async deadlineCame(manager: EntityManager, orderId: string): Promise<void> {
    const order = await this.orders.lock(manager, orderId);
    // shipped in time, already refunded whole, or told already (a job tried again after a crash): nothing to do
    if (!order || order.shipDeadlineMissedAt || order.fulfillmentStatus !== 'unfulfilled' || !REFUNDABLE.includes(order.paymentStatus)) return;
    await manager.query(`UPDATE orders SET ship_deadline_missed_at = now() WHERE id = $1`, [orderId]);
    await addToOutbox(manager, OrderShipDeadlineMissed, { orderId, promisedShipBy: order.promisedShipBy!.toISOString() });
    this.logger.warn({ orderId, promisedShipBy: order.promisedShipBy }, 'order not shipped by its promised date; the system refunds it');
  }
}
