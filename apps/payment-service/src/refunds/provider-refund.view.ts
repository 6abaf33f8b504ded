import type { ProviderRefund } from './provider-refund.entity';

/** A provider refund as operators see it (`GET /v1/admin/provider-refunds`). */
export function providerRefundView(row: ProviderRefund) {
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
export type ProviderRefundView = ReturnType<typeof providerRefundView>;
