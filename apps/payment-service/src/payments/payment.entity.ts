import { Column, Entity, PrimaryColumn } from 'typeorm';
import { minorUnitsTransformer } from '@ebb/persistence';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { PAYMENT_STATUSES, type PaymentStatus } from './payment-state';

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

const minorUnits = z.number().int().describe('minor units of the currency');

/** A payment as `GET /v1/payments/:id` answers it (api-v1): the OpenAPI answer, and the type the code builds. */
export const paymentViewSchema = z.strictObject({
  id: z.string(),
  orderId: z.string(),
  provider: z.string(),
  providerPaymentId: z.string().nullable(),
  status: z.enum(PAYMENT_STATUSES),
  amount: minorUnits,
  currency: z.string(),
  capturedAmount: minorUnits,
  refundedAmount: minorUnits,
  failureReason: z.string().optional(),
  duplicate: z.literal(true).optional().describe("captured beyond the order's one payment: the system refunds it"),
  createdAt: isoTime,
});
export type PaymentView = z.infer<typeof paymentViewSchema>;
/** `POST /v1/payments`: the payment, with the secret the storefront confirms it with while it is open. */
export const startedPaymentSchema = paymentViewSchema.extend({
  clientSecret: z.string().optional(),
  qrCode: z.string().optional().describe('what the customer scans to pay (Alipay, WeChat Pay): show it as a QR code'),
});
export type StartedPayment = z.infer<typeof startedPaymentSchema>;
export const paymentListSchema = z.strictObject({ items: z.array(paymentViewSchema) });
export type PaymentList = z.infer<typeof paymentListSchema>;

export function paymentView(payment: Payment): PaymentView {
  return {
    id: payment.id,
    orderId: payment.orderId,
    provider: payment.provider,
    providerPaymentId: payment.providerPaymentId,
    status: payment.status,
    // Number(): TypeORM's insert writes the database's text of a defaulted bigint ("0") back onto the
    // entity, past the transformer; api-v1's money is an integer (the contract test caught "0")
    amount: Number(payment.amount),
    currency: payment.currency,
    capturedAmount: Number(payment.capturedAmount),
    refundedAmount: Number(payment.refundedAmount),
    ...(payment.failureReason ? { failureReason: payment.failureReason } : {}),
    // captured beyond the order's one payment: the system refunds it
    ...(payment.duplicate ? { duplicate: true } : {}),
    createdAt: payment.createdAt.toISOString(),
  };
}
