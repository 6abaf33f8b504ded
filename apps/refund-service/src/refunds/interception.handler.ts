import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { OrderMessage } from '@ebb/contracts';
import { LOGGER } from '@ebb/observability';
import { type OutboundCall, OutboundCalls } from '@ebb/outbound';
import type { CarrierClient, InterceptionOutcome } from '../carrier/carrier.client';
import { REFUND_ENV, type RefundEnv } from '../config';
import { OrderQueryClient } from '../orders/order-query.client';
import { CARRIER } from './refund-tokens';
import { Refund } from './refund.entity';
import { InterceptParcel, shippedLines } from './after-approval';
import { applyRefundAction, lockRefund, saveRefund } from './refund-lifecycle';

const CARRIER_ACTOR = 'carrier';

type Payload = { refundId: string };
type Answer = { outcome: InterceptionOutcome; order: Pick<OrderMessage, 'fulfillmentStatus' | 'carrier' | 'trackingNumber' | 'items'> } | 'not_intercepting';

/**
 * Asks the carrier to stop a parcel in transit: a call recorded when the refund became
 * `intercepting` (after-approval.ts), made with no transaction open and no row locked, its answer
 * recorded in a transaction of its own. Stopped → the refund is paid now and the goods restocked
 * when it succeeds; too late (or delivered meanwhile) → the refund waits for the return. Asking a
 * carrier twice for one parcel is harmless, so an unknown outcome (timeout, 5xx) is asked again with
 * backoff, then parked for an operator (`outbound_calls_parked`); the refund stays `intercepting`
 * meanwhile, and a cancel is refused as temporary (the parcel may already be stopped).
 */
@Injectable()
export class InterceptionHandler implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Inject(CARRIER) private readonly carrier: CarrierClient,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onModuleInit(): void {
    this.calls.handle<Payload, Answer>(
      InterceptParcel,
      {
        call: (call) => this.call(call),
        onResult: (manager, call, answer) => this.onResult(manager, call.payload, answer),
        onParked: async (_manager, call, error) => {
          this.logger?.error({ refundId: call.payload.refundId, err: error.message }, 'the carrier never answered; the refund waits in intercepting for an operator');
        },
      },
      // a lease longer than the carrier's own timeout, so a slow answer is not asked for twice at once
      { leaseMs: this.env.CARRIER_TIMEOUT_MS * 3 },
    );
  }

  private async call({ payload }: OutboundCall<Payload>): Promise<Answer> {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ id: payload.refundId });
    if (refund?.status !== 'intercepting') return 'not_intercepting';
    const order = await this.orders.getOrder(refund.orderId);
    const inTransit = order.fulfillmentStatus === 'shipped' && order.trackingNumber !== '';
    const outcome = inTransit ? await this.carrier.intercept(order.carrier, order.trackingNumber) : 'too_late';
    return { outcome, order: { fulfillmentStatus: order.fulfillmentStatus, carrier: order.carrier, trackingNumber: order.trackingNumber, items: order.items } };
  }

  private async onResult(manager: EntityManager, payload: Payload, answer: Answer): Promise<void> {
    if (answer === 'not_intercepting') return;
    const refund = await lockRefund(manager, payload.refundId);
    if (refund?.status !== 'intercepting') return;
    const { outcome, order } = answer;
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
    this.logger?.info({ refundId: refund.id, outcome }, 'parcel interception answered');
  }
}
