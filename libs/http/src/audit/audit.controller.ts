import { Controller, Get, Inject } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Roles } from '../auth/roles';
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

const view = (row: AuditRow) => ({
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
  async list(@ZodQuery(auditQuery) query: z.output<typeof auditQuery>) {
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
