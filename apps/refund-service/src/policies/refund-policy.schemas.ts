import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { pageQueryFields, nextCursorSchema } from '@ebb/http';
import { POLICY_SOURCES } from './policy-rules';
import { REVIEW_MODES } from './refund-policy.entity';

const review = z
  .enum(REVIEW_MODES, { error: 'must be automatic or manual' })
  .describe("manual: the seller's refunds wait in pending_review, approved by the system after REFUND_AUTO_APPROVE_HOURS unless above the automatic limit");

const days = (what: string) =>
  z
    .number({ error: `must be a whole number of days` })
    .int('must be a whole number of days')
    .min(0, 'must not be negative')
    .max(3650, 'must be at most 3650')
    .describe(what);

export const productParams = z.strictObject({ productId: idSchema });
export const sellerParams = z.strictObject({ sellerId: idSchema });

export const putProductPolicySchema = z.strictObject({
  windowDays: days('days from delivery (or purchase, for goods never shipped); 0: no refunds'),
  reason: z.string().trim().min(1, 'must not be empty').max(500, 'must be at most 500 characters').optional().describe('why, kept with the change'),
});
export type PutProductPolicy = z.output<typeof putProductPolicySchema>;

export const putSellerPolicySchema = z
  .strictObject({
    windowDays: days("the seller's window: its products' unless they have their own; 0: no refunds"),
    minWindowDays: days('no product window of the seller below it (0 is governed by allowNoRefunds when stated)').optional(),
    maxWindowDays: days('no product window of the seller above it').optional(),
    allowNoRefunds: z.boolean({ error: 'must be true or false' }).optional().describe('false: no product of the seller may have a 0-day window'),
    review: review.optional().describe('how its refunds are decided; left out: as it was (automatic when never set)'),
  })
  .superRefine((policy, ctx) => {
    const { windowDays, minWindowDays: min, maxWindowDays: max, allowNoRefunds } = policy;
    if (min !== undefined && max !== undefined && min > max) ctx.addIssue({ code: 'custom', path: ['minWindowDays'], message: 'must not be above maxWindowDays' });
    if (windowDays === 0 && allowNoRefunds === false) ctx.addIssue({ code: 'custom', path: ['windowDays'], message: 'cannot be 0 when allowNoRefunds is false' });
    const noRefundsAllowed = windowDays === 0 && allowNoRefunds === true;
    if (!noRefundsAllowed && min !== undefined && windowDays < min) ctx.addIssue({ code: 'custom', path: ['windowDays'], message: 'must not be below minWindowDays' });
    if (max !== undefined && windowDays > max) ctx.addIssue({ code: 'custom', path: ['windowDays'], message: 'must not be above maxWindowDays' });
  });
export type PutSellerPolicy = z.output<typeof putSellerPolicySchema>;

/** `PUT /v1/refund-policies/products/:productId` answers the stored policy. */
export const storedProductPolicySchema = z.strictObject({
  productId: z.string(),
  sellerId: z.string(),
  windowDays: z.number().int(),
  updatedAt: isoTime,
  updatedBy: z.string().nullable(),
});
export type StoredProductPolicyView = z.infer<typeof storedProductPolicySchema>;

/** `GET /v1/refund-policies/products/:productId`: the window that applies now and where it comes from. */
export const productPolicySchema = z.strictObject({
  productId: z.string(),
  sellerId: z.string(),
  windowDays: z.number().int().describe('the window that applies to a purchase now'),
  source: z.enum(POLICY_SOURCES),
  ownWindowDays: z.number().int().nullable().describe("the product's own window, if set (in force only for sellers the per-product rollout enables)"),
  perProductPolicies: z.boolean().describe("whether the rollout flag judges the product's seller by per-product windows"),
  updatedAt: isoTime.nullable().describe('when the window in force was set; null for the platform default'),
  updatedBy: z.string().nullable(),
});
export type ProductPolicyView = z.infer<typeof productPolicySchema>;

export const sellerPolicySchema = z.strictObject({
  sellerId: z.string(),
  windowDays: z.number().int(),
  minWindowDays: z.number().int().nullable(),
  maxWindowDays: z.number().int().nullable(),
  allowNoRefunds: z.boolean().nullable(),
  review,
  updatedAt: isoTime,
  updatedBy: z.string().nullable(),
});
export type SellerPolicyView = z.infer<typeof sellerPolicySchema>;

export const listChangesSchema = z.strictObject({
  productId: idSchema.optional(),
  sellerId: idSchema.optional(),
  runId: idSchema.optional(),
  ...pageQueryFields(),
});
export type ListChangesQuery = z.output<typeof listChangesSchema>;

const policyValueSchema = z.strictObject({
  windowDays: z.number().int(),
  minWindowDays: z.number().int().optional(),
  maxWindowDays: z.number().int().optional(),
  allowNoRefunds: z.boolean().optional(),
  review: z.enum(REVIEW_MODES).optional(),
});
export const policyChangeSchema = z.strictObject({
  id: z.string(),
  scope: z.enum(['product', 'seller']),
  productId: z.string().optional(),
  sellerId: z.string().nullable(),
  old: policyValueSchema.nullable().describe('null: no policy before'),
  new: policyValueSchema.nullable().describe('null: the policy was removed (a rollback to none)'),
  actor: z.string(),
  reason: z.string().optional(),
  runId: z.string().optional().describe('the policy migration that made it'),
  at: isoTime,
});
export type PolicyChangeView = z.infer<typeof policyChangeSchema>;
export const policyChangeListSchema = z.strictObject({ items: z.array(policyChangeSchema), nextCursor: nextCursorSchema });
