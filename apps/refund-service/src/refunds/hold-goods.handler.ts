import { Inject, Injectable, type OnModuleInit, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import type { HoldGoodsAnswer } from '@ebb/contracts';
import { LOGGER } from '@ebb/observability';
import { CallRefusedError, type OutboundCall, OutboundCalls } from '@ebb/outbound';
import { OrderNotFoundError } from '@ebb/service';
import { DataSource } from 'typeorm';
import { OrderQueryClient } from '../orders/order-query.client';
import { HoldGoods, SYSTEM, afterApproval } from './after-approval';
import { Refund } from './refund.entity';
import { announcePending, applyRefundAction, lockRefund, saveRefund } from './refund-lifecycle';

type Payload = { refundId: string; orderId: string };

/**
 * Asks order-service to hold a refund's unshipped goods back from shipping (no transaction open),
 * then moves the refund on in a transaction of its own: held → `refunding` (the money goes back
 * now); shipped meanwhile → the refund now waits for the goods (intercepted or returned). A refund
 * cancelled while the call was under way is left alone (its cancellation lets the goods go).
 */
@Injectable()
export class HoldGoodsHandler implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  onModuleInit(): void {
    this.calls.handle<Payload, HoldGoodsAnswer | 'not_approved'>(HoldGoods, {
      call: (call) => this.call(call),
      onResult: (manager, call, answer) => this.onResult(manager, call.payload, answer),
      onRefused: async (manager, call, error) => {
        this.logger?.error({ refundId: call.payload.refundId, err: error.message }, 'order-service refused to hold goods; the refund waits in approved');
        await announcePending(manager, call.payload.refundId);
      },
      // the answer may take long now: the customer hears of the steps already taken
      onRetry: (manager, call) => announcePending(manager, call.payload.refundId),
      onParked: (manager, call) => announcePending(manager, call.payload.refundId),
    });
  }

  private async call({ payload }: OutboundCall<Payload>): Promise<HoldGoodsAnswer | 'not_approved'> {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ id: payload.refundId });
    if (refund?.status !== 'approved') return 'not_approved';
    // its failures are this call's unknown outcomes (tried again), but an unknown order is a refusal
    return this.orders.holdGoodsForRefund(refund.orderId, refund.id, refund.goods).catch((error: unknown) => {
      if (error instanceof OrderNotFoundError) throw new CallRefusedError(error.message, 'order_not_found');
      throw error;
    });
  }

  private async onResult(manager: EntityManager, payload: Payload, answer: HoldGoodsAnswer | 'not_approved'): Promise<void> {
    // moved on meanwhile (cancelled): that change told the steps before it
    if (answer === 'not_approved') return;
    const refund = await lockRefund(manager, payload.refundId);
    if (refund?.status !== 'approved') return;
    if (answer.held) {
      const event = await applyRefundAction(manager, refund, 'start_refunding', SYSTEM, { note: 'the goods are held back from shipping' });
      await saveRefund(manager, refund, [event]);
      return;
    }
    // the order shipped before the goods could be held: they must come back (or be stopped) first
    refund.shipped = true;
    const { events } = await afterApproval(manager, refund, answer.order);
    await saveRefund(manager, refund, events);
  }
}
