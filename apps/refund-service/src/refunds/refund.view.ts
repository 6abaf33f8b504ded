import type { Refund, RefundHistoryEntry, RefundLine } from './refund.entity';
import type { RefundStatus } from './refund-state';

/** A refund as `GET /v1/refunds/:id` answers it (api-v1). */
export interface RefundView {
  id: string;
  orderId: string;
  status: RefundStatus;
  amount: number;
  currency: string;
  reason: string;
  initiator: string;
  items?: RefundLine[];
  providerRefundId?: string;
  failureReason?: string;
  /** the payment it pays back, when that is not the order's own (a duplicate capture) */
  paymentId?: string;
  history: RefundHistoryEntry[];
  createdAt: string;
  updatedAt: string;
}

export function refundView(refund: Refund): RefundView {
  return {
    id: refund.id,
    orderId: refund.orderId,
    status: refund.status,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
    initiator: refund.initiator,
    ...(refund.items ? { items: refund.items } : {}),
    ...(refund.providerRefundId ? { providerRefundId: refund.providerRefundId } : {}),
    ...(refund.failureReason ? { failureReason: refund.failureReason } : {}),
    ...(refund.paymentId ? { paymentId: refund.paymentId } : {}),
    history: refund.history,
    createdAt: refund.createdAt.toISOString(),
    updatedAt: refund.updatedAt.toISOString(),
  };
}
