import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { PROVIDER_REFUND_STATUSES } from './provider-refund-state';
import type { ProviderRefund } from './provider-refund.entity';


/** A provider refund as operators see it (`GET /v1/admin/provider-refunds`). */
export const providerRefundViewSchema = z.strictObject({
  refundId: z.string(),
  orderId: z.string(),
  paymentId: z.string().nullable(),
  provider: z.string(),
  amount: z.number().int().describe('minor units of the currency'),
  currency: z.string(),
  attempt: z.number().int(),
  status: z.enum(PROVIDER_REFUND_STATUSES),
  providerRefundId: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type ProviderRefundView = z.infer<typeof providerRefundViewSchema>;
export const providerRefundListSchema = z.strictObject({ items: z.array(providerRefundViewSchema), nextCursor: z.string().nullable() });
export type ProviderRefundList = z.infer<typeof providerRefundListSchema>;
/** A look-up now: the refund as recorded after it, and what the provider said (null: it knows no such refund, or was not asked). */
export const providerRefundSyncSchema = z.strictObject({
  refund: providerRefundViewSchema,
  provider: z.strictObject({ providerRefundId: z.string(), status: z.enum(['pending', 'succeeded', 'failed']), reason: z.string().optional() }).nullable(),
});
export type ProviderRefundSync = z.infer<typeof providerRefundSyncSchema>;

export function providerRefundView(row: ProviderRefund): ProviderRefundView {
  return {
    refundId: row.refundId,
    orderId: row.orderId,
    paymentId: row.paymentId,
    provider: row.provider,
    amount: row.amount,
    currency: row.currency,
    attempt: row.attempt,
    status: row.status,
    providerRefundId: row.providerRefundId,
    failureReason: row.failureReason,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}
