import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { RefundIntercepting, type RefundSnapshot } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { LOGGER } from '@ebb/observability';
import type { CarrierClient, InterceptionOutcome } from '../carrier/carrier.client';
import { OrderQueryClient } from '../orders/order-query.client';
import { CARRIER } from './refund-tokens';
import { RefundEntity } from './refund.entity';
import { shippedLines } from './after-approval';
import { applyRefundAction, saveRefund } from './refund-lifecycle';

const CARRIER_ACTOR = 'carrier';

/**
 * `refund.intercepting` (committed before anything is asked): ask the carrier to stop the parcel.
 * Stopped → the refund is paid now and the goods restocked when it succeeds; too late (or delivered
 * meanwhile) → the refund waits for the return. The refund's row stays locked while the carrier is
 * asked (bounded by CARRIER_TIMEOUT_MS), so a customer's cancel waits for the answer instead of
 * cancelling a refund whose parcel is already on its way back. A failed call throws: the message is
 * retried and, in the end, parked for an operator — never lost. A refund cancelled before the
 * carrier was asked is left alone.
 */
@Injectable()
export class InterceptionHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(CARRIER) private readonly carrier: CarrierClient,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onModuleInit() {
    this.consumer.handle<RefundSnapshot>('intercept-parcel', RefundIntercepting.name, (message, manager) => this.intercept(message, manager));
  }

  private async intercept({ payload, messageId }: IncomingMessage<RefundSnapshot>, manager: EntityManager): Promise<void> {
    const refund = await manager.findOne(RefundEntity, { where: { id: payload.refundId }, lock: { mode: 'pessimistic_write' } });
    if (!refund) throw new Error(`refund.intercepting for unknown refund ${payload.refundId}`);
    if (refund.status !== 'intercepting') {
      this.logger?.info({ refundId: refund.id, status: refund.status, messageId }, 'refund no longer intercepting; carrier not asked');
      return;
    }
    const order = await this.orders.getOrder(refund.orderId);
    const outcome: InterceptionOutcome =
      order.fulfillmentStatus === 'shipped' && order.trackingNumber ? await this.carrier.intercept(order.carrier, order.trackingNumber) : 'too_late';
    const event =
      outcome === 'intercepted'
        ? await applyRefundAction(manager, refund, 'start_refunding', CARRIER_ACTOR, {
            note: `parcel ${order.trackingNumber} stopped by ${order.carrier}`,
            // the whole parcel comes back: every line that left goes back on hand once the money is back
            change: (r) => {
              r.restock = true;
              r.returned = shippedLines(order);
            },
          })
        : await applyRefundAction(manager, refund, 'await_return', CARRIER_ACTOR, {
            note: order.fulfillmentStatus === 'shipped' ? `too late to stop parcel ${order.trackingNumber}: waiting for its return` : 'delivered: waiting for its return',
          });
    await saveRefund(manager, refund, [event]);
    this.logger?.info({ refundId: refund.id, outcome, messageId }, 'parcel interception answered');
  }
}
