import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PaymentRefundedOutsideEbb } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { SYSTEM } from './after-approval';
import { ledgerKeyOf } from './refund.entity';
import { newSystemRefund } from './system-refunds.handler';
import { lockLedger } from './refund-ledger';
import { OUTSIDE_EBB, applyRefundAction, openRefund, saveRefund } from './refund-lifecycle';

/**
 * `payment.refunded_outside_ebb`: money the provider gave back outside Ebb (its dashboard) becomes a
 * succeeded refund here, under the id payment-service chose, once. Its opening commits the amount on
 * the ledger like any refund's, so what the order can still refund shrinks by it and no later refund
 * pays that money twice; the ledger's CHECK refuses it (retried, then parked for an operator) only if
 * refunds Ebb still has in flight hold the rest, until one of them fails and gives its amount back.
 */
@Injectable()
export class OutsideRefundsHandler implements OnModuleInit {
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit(): void {
    this.consumer.on(PaymentRefundedOutsideEbb, 'refunds.record-outside-refund', (message, manager) => this.record(message, manager));
  }

  private async record({ payload }: IncomingMessage<PaymentRefundedOutsideEbb>, manager: EntityManager): Promise<void> {
    const [seen]: unknown[] = await manager.query(`SELECT 1 FROM refunds WHERE id = $1`, [payload.refundId]);
    if (seen) return;
    const note = `refunded at ${payload.provider} outside Ebb (${payload.providerRefundId}), seen by ${payload.detectedBy}: check with the shop`;
    const cause = { key: `${OUTSIDE_EBB}${payload.provider}:${payload.providerRefundId}`, orderId: payload.orderId, reason: 'other' as const, note };
    const refund = newSystemRefund(manager, cause, {
      id: payload.refundId,
      customerId: payload.customerId,
      email: payload.email,
      amount: payload.amount,
      currency: payload.currency,
      shipped: false,
      goods: [],
      // a duplicate capture's money has its own ledger; the order's payment counts on the order's
      paymentId: payload.duplicate ? payload.paymentId : null,
      providerRefundId: payload.providerRefundId,
      actor: payload.provider,
    });
    await lockLedger(manager, ledgerKeyOf(refund), payload.capturedAmount);
    const opened = await openRefund(manager, refund);
    const succeeded = await applyRefundAction(manager, refund, 'record_outside', SYSTEM, { at: refund.createdAt, note });
    await saveRefund(manager, refund, [opened, succeeded]);
  }
}
