import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { PROVIDER_NAMES } from '../providers/payment-provider';

export const DIFFERENCE_KINDS = ['missing_in_ebb', 'missing_at_provider', 'amount_mismatch', 'status_mismatch'] as const;
export type DifferenceKind = (typeof DIFFERENCE_KINDS)[number];
/** repaired: safe, done by the run itself; open: waits for a person (alerted on); resolved: a person has */
export const RESOLUTIONS = ['repaired', 'open', 'resolved'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RUN_STATUSES = ['running', 'done', 'failed'] as const;

const minorUnits = z.number().int().describe('minor units of the currency');

/** One difference between Ebb's records and the provider's (api-v1's shape, with what Ebb did about it). */
export const differenceSchema = z.strictObject({
  id: z.string(),
  kind: z.enum(DIFFERENCE_KINDS),
  object: z.enum(['payment', 'refund']),
  provider: z.enum(PROVIDER_NAMES),
  refundId: z.string().optional(),
  providerRefundId: z.string().optional(),
  paymentId: z.string().optional(),
  providerPaymentId: z.string().optional(),
  currency: z.string().optional(),
  ebbAmount: minorUnits.optional(),
  providerAmount: minorUnits.optional(),
  ebbStatus: z.string().optional(),
  providerStatus: z.string().optional(),
  resolution: z.enum(RESOLUTIONS),
  note: z.string().optional(),
  resolvedBy: z.string().optional(),
  resolvedAt: isoTime.optional(),
});
export type DifferenceView = z.infer<typeof differenceSchema>;

export const reconciliationSchema = z.strictObject({
  id: z.string(),
  date: z.string().describe("the provider's day (UTC for Stripe, Beijing time for Alipay and WeChat Pay)"),
  provider: z.enum([...PROVIDER_NAMES, 'all']),
  trigger: z.enum(['api', 'daily']),
  status: z.enum(RUN_STATUSES),
  matched: z.number().int().describe('payments and refunds found alike on both sides'),
  differences: z.array(differenceSchema),
  error: z.string().optional(),
  createdAt: isoTime,
  finishedAt: isoTime.optional(),
});
export type ReconciliationView = z.infer<typeof reconciliationSchema>;

export const startedReconciliationSchema = z.strictObject({ id: z.string() });
export const differenceListSchema = z.strictObject({ items: z.array(differenceSchema.extend({ runId: z.string(), date: z.string() })), nextCursor: z.string().nullable() });
export type DifferenceList = z.infer<typeof differenceListSchema>;

/** The differences as CSV (one row each, a header first), for a spreadsheet or an accountant. */
export function differencesCsv(differences: DifferenceView[]): string {
  const columns = ['kind', 'object', 'provider', 'refundId', 'providerRefundId', 'paymentId', 'providerPaymentId', 'currency', 'ebbAmount', 'providerAmount', 'ebbStatus', 'providerStatus', 'resolution', 'note'] as const;
  const cell = (value: unknown) => {
    const text = value === undefined || value === null ? '' : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(','), ...differences.map((d) => columns.map((c) => cell(d[c])).join(','))].join('\r\n') + '\r\n';
}
