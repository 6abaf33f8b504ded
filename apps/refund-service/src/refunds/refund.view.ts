import type { Refund, RefundHistoryEntry, RefundLine } from './refund.entity';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { REFUND_STATUSES } from './refund-state';


/**
 * A refund as `GET /v1/refunds/:id` answers it (api-v1): the schema is the OpenAPI document's answer
 * and the type the code builds, so the two cannot differ.
 */
export const refundViewSchema = z.strictObject({
  id: z.string(),
  orderId: z.string(),
  status: z.enum(REFUND_STATUSES),
  amount: z.number().int().describe("minor units of the order's currency"),
  currency: z.string(),
  reason: z.string(),
  initiator: z.string(),
  items: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int() })).optional(),
  providerRefundId: z.string().optional(),
  failureReason: z.string().optional(),
  /** the payment it pays back, when that is not the order's own (a duplicate capture) */
  paymentId: z.string().optional().describe("the payment it pays back, when that is not the order's own (a duplicate capture)"),
  history: z.array(z.strictObject({ status: z.enum(REFUND_STATUSES), at: isoTime, actor: z.string(), note: z.string().optional() })),
  createdAt: isoTime,
  updatedAt: isoTime,
  voucher: z
    .strictObject({
      sha256: z.string().regex(/^[0-9a-f]{64}$/).describe("the SHA-256 of the voucher's bytes, kept with the refund"),
      url: z.string().describe('a presigned URL: GET it (no token) within VOUCHER_URL_TTL_SECONDS for the PDF'),
    })
    .optional()
    .describe('the voucher of a succeeded refund (a PDF), once stored'),
});
export type RefundView = z.infer<typeof refundViewSchema>;

export const refundListSchema = z.strictObject({ items: z.array(refundViewSchema) });

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
