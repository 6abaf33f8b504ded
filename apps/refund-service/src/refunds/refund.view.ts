import type { Refund, RefundHistoryEntry, RefundLine } from './refund.entity';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { REFUND_STATUSES } from './refund-state';
import { NEXT_STEP_CODES } from './next-step';


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
  history: z.array(
    z.strictObject({
      status: z.enum(REFUND_STATUSES),
      at: isoTime,
      actor: z.string(),
      note: z.string().optional(),
      windowOverride: z
        .strictObject({
          reason: z.string(),
          windows: z.array(z.strictObject({ productId: z.string(), windowDays: z.number().int(), source: z.enum(['product', 'seller', 'default']), expiredAt: isoTime })),
        })
        .optional()
        .describe('refunded outside its refund window by support or admin: the reason and the windows that had closed'),
    }),
  ),
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

/** A refund in a list (the review queue): how long it has waited, and when the system approves it (null: a person must decide). */
export const refundListItemSchema = refundViewSchema.extend({
  ageSeconds: z.number().int().describe('seconds since it was requested'),
  autoApproveAt: isoTime.nullable().describe('when the system approves it if nobody decides; null when a person must'),
});
export type RefundListItem = z.infer<typeof refundListItemSchema>;

const nextCursor = z.string().nullable().describe('pass as `cursor` for the next page; null on the last page');
export const refundListSchema = z.strictObject({ items: z.array(refundListItemSchema), nextCursor });

/** `GET /v1/orders/:orderId/refunds`: each refund with what the customer waits for next, in the order's language. */
export const orderRefundListSchema = z.strictObject({
  items: z.array(
    refundListItemSchema.extend({
      nextStep: z.strictObject({
        code: z.enum(NEXT_STEP_CODES),
        message: z.string().describe("in the order's language"),
        expectedBy: isoTime.optional().describe('when Ebb promised the step, where it can know it'),
      }),
    }),
  ),
  nextCursor,
});

export function refundListItem(refund: Refund, now = Date.now()): RefundListItem {
  return {
    ...refundView(refund),
    ageSeconds: Math.max(0, Math.floor((now - refund.createdAt.getTime()) / 1000)),
    autoApproveAt: refund.status === 'pending_review' && refund.autoApproveAt ? refund.autoApproveAt.toISOString() : null,
  };
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
