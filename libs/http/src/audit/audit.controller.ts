import { Controller, Get, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { Roles } from '../auth/roles';
import { Answers } from '../openapi/route-docs';
import { ZodQuery } from '../validation/zod-validation.pipe';
import type { AuditOutcome } from './audit.interceptor';

export const auditQuery = z.strictObject({
  actor: z.string().min(1).max(255).optional(),
  target: z.string().min(1).max(255).optional(),
  /** only actions started at or after this time */
  after: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time, like 2026-12-01T00:00:00Z' }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** the id of the last entry of the previous page */
  cursor: z.string().regex(/^[0-9]{1,18}$/, 'must be a cursor from a previous page').optional(),
});

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  params: Record<string, string>;
  outcome: AuditOutcome;
  status: number | null;
  code: string | null;
  ended_at: Date | null;
}

/** Every AuditOutcome, no more: tsc refuses a value the type lacks here, and the view a value missing here. */
const AUDIT_OUTCOMES = ['pending', 'succeeded', 'refused', 'replayed', 'failed'] as const satisfies readonly AuditOutcome[];


/** One audited action as `GET /v1/admin/audit` answers it: the schema is the OpenAPI document's answer and the type the view builds. */
export const auditEntryViewSchema = z.strictObject({
  id: z.string(),
  at: isoTime.describe('when the action started (ISO 8601 UTC)'),
  actor: z.string().describe("the caller's token subject"),
  role: z.string(),
  action: z.string().describe('the method and route pattern, like `POST /v1/refunds/:id/approve`'),
  target: z.string().nullable().describe("the route's first parameter, else the id the action created"),
  params: z.record(z.string(), z.string()).describe("the route's parameters"),
  outcome: z.enum(AUDIT_OUTCOMES).describe('`pending` stays only where the process died during the action'),
  status: z.number().int().nullable().describe('the HTTP status it ended with; null while pending'),
  code: z.string().nullable().describe('the error code of a refused or failed action'),
  endedAt: isoTime.nullable().describe('null while pending'),
});
export type AuditEntryView = z.infer<typeof auditEntryViewSchema>;

export const auditListSchema = z.strictObject({
  items: z.array(auditEntryViewSchema),
  nextCursor: z.string().nullable().describe('the `cursor` of the next page; null when this page is not full'),
});

const view = (row: AuditRow): AuditEntryView => ({
  id: String(row.id),
  at: row.at.toISOString(),
  actor: row.actor,
  role: row.role,
  action: row.action,
  target: row.target,
  params: row.params,
  outcome: row.outcome,
  status: row.status,
  code: row.code,
  endedAt: row.ended_at?.toISOString() ?? null,
});

/** What support and admin did in this service, oldest first, by actor, target and time. */
@Roles('admin')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get()
  @Answers({ 200: auditListSchema })
  async list(@ZodQuery(auditQuery) query: z.output<typeof auditQuery>): Promise<z.infer<typeof auditListSchema>> {
    const rows: AuditRow[] = await this.dataSource.query(
      `SELECT * FROM audit_log
        WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR target = $2)
          AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::bigint IS NULL OR id > $4)
        ORDER BY id LIMIT $5`,
      [query.actor ?? null, query.target ?? null, query.after ?? null, query.cursor ?? null, query.limit],
    );
    return { items: rows.map(view), nextCursor: rows.length === query.limit ? String(rows.at(-1)!.id) : null };
  }
}
