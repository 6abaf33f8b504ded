import { z } from 'zod';
import { REFUND_INITIATORS as INITIATORS, REFUND_REASONS, idSchema } from '@ebb/contracts';
import { REFUND_STATUSES } from './refund-state';

export { REFUND_REASONS, REFUND_INITIATORS as INITIATORS, type RefundInitiator as Initiator } from '@ebb/contracts';

/** minor units, more than zero; one message per bad amount (the shared schema would add a second for negatives) */
const amountSchema = z
  .number({ error: 'must be a number of minor units' })
  .int('must be a whole number of minor units')
  .positive('must be greater than zero')
  .max(Number.MAX_SAFE_INTEGER, 'is too large');
const skuSchema = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const noteSchema = z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters');

/** Lines of an order: each sku once, a bounded quantity. */
const linesSchema = z
  .array(
    z.strictObject({
      sku: skuSchema,
      // an order line holds at most 1,000,000 units (order-service's bound), so no product of it overflows
      quantity: z.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be at least 1').max(1_000_000, 'is too large'),
    }),
  )
  .min(1, 'must list at least one line')
  .max(500, 'must list at most 500 lines')
  .superRefine((lines, ctx) => {
    const seen = new Set<string>();
    lines.forEach((line, index) => {
      if (seen.has(line.sku)) ctx.addIssue({ code: 'custom', path: [index, 'sku'], message: 'appears twice; list each sku once' });
      seen.add(line.sku);
    });
  });

export const requestRefundSchema = z
  .strictObject({
    orderId: idSchema,
    amount: amountSchema.optional(),
    items: linesSchema.optional(),
    reason: z.enum(REFUND_REASONS),
    initiator: z.enum(INITIATORS).optional(),
    note: noteSchema.optional(),
    /** support and admin: refund outside the refund window, for this reason (kept in the refund's history) */
    overrideWindow: noteSchema.optional().describe("support and admin only: the reason for refunding outside the refund window, kept in the refund's history"),
  });
export type RequestRefundBody = z.output<typeof requestRefundSchema>;

/** A body with an optional note, or no body at all. */
export const noteOnlySchema = z.strictObject({ note: noteSchema.optional() }).default({});
/** The return arrived: what came back (each line's sku and quantity), when it is not simply the goods the refund covers. */
export const returnReceivedSchema = z.strictObject({ note: noteSchema.optional(), items: linesSchema.optional() }).default({});
export type ReturnReceivedBody = z.output<typeof returnReceivedSchema>;
export const rejectSchema = z.strictObject({ reason: noteSchema });
/** A returned parcel inspected: passed pays the refund (and restocks), failed rejects it. */
export const inspectionSchema = z.strictObject({ result: z.enum(['passed', 'failed']), note: noteSchema.optional() });
export type InspectionBody = z.output<typeof inspectionSchema>;
/** A page of a list: where the last one ended (opaque to callers: the created time and id of its last refund). */
export const pageSchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(200)
    .transform((cursor, ctx) => {
      try {
        const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
        if (typeof at === 'string' && typeof id === 'string' && Number.isFinite(Date.parse(at))) return { at: new Date(at), id };
      } catch {
        // answered below
      }
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this list gave' });
      return z.NEVER;
    })
    .optional(),
});
export type Page = z.output<typeof pageSchema> & { sort?: 'oldest' | 'newest' };

/** The cursor of the page after the one that ended with `last`. */
export const cursorAfter = (last: { createdAt: Date; id: string }) => Buffer.from(JSON.stringify([last.createdAt.toISOString(), last.id])).toString('base64url');

export const listRefundsSchema = z
  .strictObject({
    orderId: idSchema.optional(),
    /** one customer's refunds (support and admin; a customer sees only their own anyway) */
    customerId: idSchema.optional(),
    status: z.enum(REFUND_STATUSES).optional(),
    /** created at or after this instant */
    createdFrom: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    /** created before this instant */
    createdBefore: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    /** oldest first (the default: the review queue's longest waiting on top) or newest first */
    sort: z.enum(['oldest', 'newest']).optional(),
    // a change feed: refunds changed after this instant, oldest change first (reconciliation, dashboards, the benchmark)
    updatedAfter: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    // 1–200 (default 50) per page; the change feed takes up to 1000 (default 500)
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    cursor: pageSchema.shape.cursor,
  })
  .superRefine((query, ctx) => {
    if (!query.updatedAfter && query.limit !== undefined && query.limit > 200 && query.limit <= 1000) ctx.addIssue({ code: 'custom', path: ['limit'], message: 'must be at most 200' });
    if (query.updatedAfter && query.cursor) ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'pages the list, not the change feed (which pages with updatedAfter)' });
    if (query.updatedAfter && query.sort) ctx.addIssue({ code: 'custom', path: ['sort'], message: 'orders the list, not the change feed (oldest change first)' });
    if (query.createdFrom && query.createdBefore && Date.parse(query.createdBefore) <= Date.parse(query.createdFrom)) {
      ctx.addIssue({ code: 'custom', path: ['createdBefore'], message: 'must be later than createdFrom' });
    }
  })
  .transform((query) => ({ ...query, sort: query.sort ?? 'oldest', limit: query.limit ?? (query.updatedAfter ? 500 : 50) }));
export type ListRefundsQuery = z.output<typeof listRefundsSchema>;

export const orderRefundsParams = z.strictObject({ orderId: idSchema });

export const refundIdParams = z.strictObject({ id: idSchema });
