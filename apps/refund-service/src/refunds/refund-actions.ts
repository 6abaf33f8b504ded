import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Principal } from '@ebb/http';
import { assertFencingToken } from '@ebb/locking';
import { type ClaimedCall } from '@ebb/outbound';
import { OrderQueryClient } from '../orders/order-query.client';
import { Refund, type RefundLine } from './refund.entity';
import { RefundErrorCode, refundError } from './refund-errors';
import { type RefundView, refundView } from './refund.view';
import { type OrderAtApproval, afterApproval } from './after-approval';
import { applyRefundAction, lockRefund, saveRefund } from './refund-lifecycle';
import { type Changed, RefundUnitOfWork, type SupportAction, actorOf, visible } from './refund-unit-of-work';

/** What support (and the customer's cancel) and operators do to one refund. */
@Injectable()
export class RefundActions {
  constructor(
    private readonly dataSource: DataSource,
    private readonly unit: RefundUnitOfWork,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
  ) {}

  /**
   * One action of support (or the customer's cancel) on one refund: its history entry, ledger
   * effect and events in one transaction. An approval reads the order first (gRPC, outside the
   * transaction): goods that shipped since the request are intercepted or awaited, never refunded blind.
   */
  async act(id: string, action: SupportAction, principal: Principal, options: { note?: string; returned?: RefundLine[]; actor?: string } = {}): Promise<RefundView> {
    let order: OrderAtApproval = { fulfillmentStatus: 'unfulfilled', capturedAmount: 0, items: [] };
    if (action === 'approve') {
      const found = visible(await this.dataSource.getRepository(Refund).findOneBy({ id }), id, principal);
      order = await this.orders.getOrder(found.orderId);
    }
    const changed = await this.dataSource.transaction(async (manager): Promise<Changed> => {
      const refund = visible(await lockRefund(manager, id), id, principal);
      if (action === 'cancel' && refund.status === 'intercepting') {
        // the carrier's answer decides: a parcel already stopped is refunded, one too late can be cancelled then
        throw refundError(RefundErrorCode.RefundInProgress, 'The carrier is being asked to stop the parcel; try again once it has answered.');
      }
      const change = (r: Refund) => {
        if (action === 'approve' && order.fulfillmentStatus !== 'unfulfilled') r.shipped = true;
        // what support received: the lines named, else the goods the refund covers
        if (action === 'receive_return') r.returned = options.returned ?? r.goods;
        // the returned goods passed: they go back on hand once the money is back
        if (action === 'pass_inspection') r.restock = true;
      };
      const events = [await applyRefundAction(manager, refund, action, options.actor ?? actorOf(principal), { note: options.note, change })];
      let hold: ClaimedCall | undefined;
      if (refund.status === 'approved') {
        const next = await afterApproval(manager, refund, order);
        events.push(...next.events);
        hold = next.hold;
      }
      // waiting on the hold: its answer's transaction tells every step in one event
      await saveRefund(manager, refund, events, { answer: !hold, announce: !hold });
      return { refund, hold };
    });
    return refundView(await this.unit.afterCommit(changed));
  }

  /** An operator sends a failed refund to the provider again: its amount is committed on the ledger again. */
  async retry(id: string, principal: Principal): Promise<RefundView> {
    const found = visible(await this.dataSource.getRepository(Refund).findOneBy({ id }), id, principal);
    const refund = await this.unit.underOrderLock(found.orderId, async (lock, manager) => {
      const refund = visible(await lockRefund(manager, id), id, principal);
      await assertFencingToken(manager, lock.key, lock.token);
      const event = await applyRefundAction(manager, refund, 'retry', actorOf(principal), { change: (r) => (r.failureReason = null) });
      await saveRefund(manager, refund, [event]);
      return refund;
    });
    return refundView(refund);
  }
}
