import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { OrderCapturedAfterCancel, PaymentDuplicateCaptured, type RefundReason, majorToMinor, newId } from '@ebb/contracts';
import { type IncomingMessage, MessageConsumer } from '@ebb/messaging';
import { REFUND_ENV, type RefundEnv } from '../config';
import { SYSTEM, openAndDecide } from './after-approval';
import { Refund, ledgerKeyOf } from './refund.entity';
import { lockLedger } from './refund-ledger';
import { saveRefund } from './refund-lifecycle';

interface Cause {
  /** one refund per cause, however often it is seen */
  key: string;
  orderId: string;
  customerId: string;
  email: string;
  currency: string;
  amount: number;
  reason: RefundReason;
  note: string;
  /** the duplicate payment it pays back (its own ledger); absent for the order's own capture */
  paymentId?: string;
}

/** A refund of money only that the system opens (no goods, not shipped), in `requested`, with its first history entry. */
export function systemRefund(
  manager: EntityManager,
  input: Pick<Refund, 'orderId' | 'customerId' | 'email' | 'amount' | 'currency' | 'reason' | 'paymentId' | 'cause'> & { note: string; actor: string; id?: string; providerRefundId?: string },
): Refund {
  const now = new Date();
  return manager.create(Refund, {
    id: input.id ?? newId('ref'),
    orderId: input.orderId,
    customerId: input.customerId,
    email: input.email,
    status: 'requested',
    amount: input.amount,
    currency: input.currency,
    reason: input.reason,
    initiator: 'system',
    items: null,
    goods: [],
    returned: null,
    shipped: false,
    restock: false,
    note: input.note,
    paymentId: input.paymentId,
    cause: input.cause,
    providerRefundId: input.providerRefundId ?? null,
    failureReason: null,
    history: [{ status: 'requested', at: now.toISOString(), actor: input.actor, note: input.note }],
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * Refunds the system starts itself, once per cause, in the transaction of the event that shows the
 * cause: money captured twice (`payment.duplicate_captured`: that payment is paid back whole, on its
 * own ledger), money taken for an order already cancelled (`order.captured_after_cancel`). Each is
 * decided as any refund is (a person above the automatic limit); no goods are involved.
 */
@Injectable()
export class SystemRefundsHandler implements OnModuleInit {
  constructor(
    private readonly consumer: MessageConsumer,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
  ) {}

  onModuleInit(): void {
    this.consumer
      .on(PaymentDuplicateCaptured, 'refunds.refund-duplicate-payment', ({ payload }: IncomingMessage<PaymentDuplicateCaptured>, manager) =>
        this.refund(manager, {
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
        this.refund(manager, {
          key: `cancelled-order:${payload.paymentId}`,
          orderId: payload.orderId,
          customerId: payload.customerId,
          email: payload.email,
          currency: payload.currency,
          amount: payload.amount,
          reason: 'other',
          note: 'the order was cancelled before its payment arrived: the payment is paid back',
        }),
      );
  }

  private async refund(manager: EntityManager, cause: Cause): Promise<void> {
    const [seen]: unknown[] = await manager.query(`SELECT 1 FROM refunds WHERE cause = $1`, [cause.key]);
    if (seen || cause.amount <= 0) return;
    const refund = systemRefund(manager, {
      orderId: cause.orderId,
      customerId: cause.customerId,
      email: cause.email,
      amount: cause.amount,
      currency: cause.currency,
      reason: cause.reason,
      note: cause.note,
      paymentId: cause.paymentId ?? null,
      cause: cause.key,
      actor: SYSTEM,
    });
    // the capture's own ledger: what this money can still pay back
    await lockLedger(manager, ledgerKeyOf(refund), cause.amount);
    const order = { fulfillmentStatus: 'unfulfilled', capturedAmount: cause.amount, items: [] };
    const { events, hold } = await openAndDecide(manager, refund, order, majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, cause.currency));
    if (hold) throw new Error('a system refund holds no goods');
    await saveRefund(manager, refund, events);
  }
}
