import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { POLICY_SOURCES } from '../policies/policy-rules';
import { MIGRATION_STATUSES } from './policy-migration-state';

export const MIGRATION_MODES = ['dry_run', 'apply'] as const;
export type MigrationMode = (typeof MIGRATION_MODES)[number];

export const createMigrationSchema = z.strictObject({
  mode: z.enum(MIGRATION_MODES),
  /** only these sellers' products; every product of the catalogue when absent */
  sellerIds: z
    .array(idSchema)
    .min(1, 'must name at least one seller')
    .max(1000, 'must name at most 1000 sellers')
    .refine((ids) => new Set(ids).size === ids.length, 'must name each seller once')
    .optional()
    .describe('only these sellers’ products; the whole catalogue when absent'),
});
export type CreateMigration = z.output<typeof createMigrationSchema>;

export const migrationParams = z.strictObject({ id: idSchema });

export const migrationRunSchema = z.strictObject({ id: z.string(), mode: z.enum(MIGRATION_MODES), status: z.enum(MIGRATION_STATUSES) });
export type MigrationRunView = z.infer<typeof migrationRunSchema>;

export const REPORT_ACTIONS = ['set', 'keep', 'conflict'] as const;

/** One product of a run's report: its window now, the one recommended, why, and what the run does (did) with it. */
export const reportRowSchema = z.strictObject({
  productId: z.string(),
  sellerId: z.string(),
  title: z.string(),
  currentWindowDays: z.number().int(),
  currentSource: z.enum(POLICY_SOURCES),
  recommendedWindowDays: z.number().int(),
  confidence: z.number(),
  reason: z.strictObject({ rule: z.string(), keywords: z.array(z.string()) }),
  action: z.enum(REPORT_ACTIONS),
  conflictRule: z.string().optional().describe('the seller rule a recommended window breaks (action conflict, or a conflict found when applying)'),
  outcome: z.enum(['applied', 'conflict', 'changed_since_plan']).optional().describe('what applying did: set, refused by a seller rule, or left alone because the product got a window of its own meanwhile'),
  rolledBack: z.enum(['restored', 'changed_since']).optional().describe('what the rollback did: restored the value before, or left a window changed since by someone else'),
});
export type ReportRow = z.infer<typeof reportRowSchema>;

export const migrationCountsSchema = z
  .record(z.string(), z.number().int())
  .describe('products, set, keep, conflict, sellers, sellersToTell, sellersTold, batches, applied, skipped, restored, keptChanged');

export const migrationSchema = migrationRunSchema.extend({
  sellerIds: z.array(z.string()).nullable(),
  counts: migrationCountsSchema,
  error: z.string().nullable(),
  createdBy: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  finishedAt: isoTime.nullable(),
  report: z.array(reportRowSchema).describe('every product, sellers by their last sale (most recent first), then by product id'),
});
export type MigrationView = z.infer<typeof migrationSchema>;
