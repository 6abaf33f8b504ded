import { Column, Entity, PrimaryColumn } from 'typeorm';
import { minorUnitsTransformer } from '@ebb/persistence';
import type { PaymentStatus } from './payment-state';

@Entity('payments')
export class Payment {
  @PrimaryColumn('text')
  id: string;

  @Column('text', { name: 'order_id' })
  orderId: string;

  @Column('text', { name: 'customer_id' })
  customerId: string;

  @Column('text')
  provider: string;

  @Column('text', { name: 'provider_payment_id', nullable: true })
  providerPaymentId: string | null;

  @Column('text')
  status: PaymentStatus;

  @Column('bigint', { transformer: minorUnitsTransformer })
  amount: number;

  @Column('char', { length: 3 })
  currency: string;

  @Column('bigint', { name: 'captured_amount', transformer: minorUnitsTransformer, default: 0 })
  capturedAmount: number;

  @Column('bigint', { name: 'refunded_amount', transformer: minorUnitsTransformer, default: 0 })
  refundedAmount: number;

  @Column('text', { name: 'failure_reason', nullable: true })
  failureReason: string | null;

  /** money captured beyond the order's one payment (a second capture, or one Ebb had cancelled): refunded by the system */
  @Column('boolean', { default: false })
  duplicate: boolean;

  /** the customer's e-mail, read with the order: a duplicate's refund mails go there */
  @Column('text', { nullable: true })
  email: string | null;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()', update: false })
  createdAt: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt: Date;
}

/** A payment as api-v1 shows it. */
export function paymentView(payment: Payment) {
  return {
    id: payment.id,
    orderId: payment.orderId,
    provider: payment.provider,
    providerPaymentId: payment.providerPaymentId,
    status: payment.status,
    amount: payment.amount,
    currency: payment.currency,
    capturedAmount: payment.capturedAmount,
    refundedAmount: payment.refundedAmount,
    ...(payment.failureReason ? { failureReason: payment.failureReason } : {}),
    // captured beyond the order's one payment: the system refunds it
    ...(payment.duplicate ? { duplicate: true } : {}),
    createdAt: payment.createdAt.toISOString(),
  };
}
