import { Controller, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodParams, ZodQuery, defineErrors } from '@ebb/http';
import { retryParkedCall } from './outbound-call';
import { OutboundCalls } from './outbound-calls';

/** The refusals of these routes beside the shared ones. */
export const outboundCallError = defineErrors({ outbound_call_not_found: 404, outbound_call_not_parked: 409 });

/** `due` → `calling` → `done`, or `parked` for a person once the attempts ran out (the table's CHECK). */
const OUTBOUND_CALL_STATUSES = ['due', 'calling', 'done', 'parked'] as const;
type OutboundCallStatus = (typeof OUTBOUND_CALL_STATUSES)[number];

const listQuery = z.strictObject({
  status: z.enum(OUTBOUND_CALL_STATUSES).default('parked'),
  kind: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** the id of the last call of the previous page */
  cursor: z.string().regex(/^[0-9]{1,18}$/, 'must be a cursor from a previous page').optional(),
});
const idParams = z.strictObject({ id: z.string().regex(/^[0-9]{1,18}$/, 'must be an outbound call id') });

interface CallRow {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  status: OutboundCallStatus;
  attempts: number;
  next_attempt_at: Date;
  first_called_at: Date | null;
  last_error: string | null;
  outcome: string | null;
  created_at: Date;
  updated_at: Date;
}


/** A call to the outside as the admin routes answer it: the schema is the OpenAPI document's answer and the type the view builds. */
export const outboundCallViewSchema = z.strictObject({
  id: z.string(),
  kind: z.string(),
  key: z.string().describe('what the call is about: unique per kind'),
  payload: z.unknown().describe("the call's payload, as its kind defines it"),
  status: z.enum(OUTBOUND_CALL_STATUSES),
  attempts: z.number().int(),
  nextAttemptAt: isoTime,
  firstCalledAt: isoTime.nullable().describe('when the first attempt was made; null before it'),
  lastError: z.string().nullable(),
  outcome: z.string().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export type OutboundCallView = z.infer<typeof outboundCallViewSchema>;

export const outboundCallListSchema = z.strictObject({
  items: z.array(outboundCallViewSchema),
  nextCursor: z.string().nullable().describe('the `cursor` of the next page; null when this page is not full'),
});

const view = (row: CallRow): OutboundCallView => ({
  id: String(row.id),
  kind: row.kind,
  key: row.key,
  payload: row.payload,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at.toISOString(),
  firstCalledAt: row.first_called_at?.toISOString() ?? null,
  lastError: row.last_error,
  outcome: row.outcome,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** Operators see this service's calls to the outside (parked ones by default) and send a parked one again. */
@Roles('admin')
@Controller('v1/admin/outbound-calls')
export class OutboundCallsController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(OutboundCalls) private readonly calls: OutboundCalls,
  ) {}

  @Get()
  @Answers({ 200: outboundCallListSchema })
  async list(@ZodQuery(listQuery) query: z.output<typeof listQuery>): Promise<z.infer<typeof outboundCallListSchema>> {
    const rows: CallRow[] = await this.dataSource.query(
      `SELECT * FROM outbound_calls WHERE status = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::bigint IS NULL OR id > $3)
        ORDER BY id LIMIT $4`,
      [query.status, query.kind ?? null, query.cursor ?? null, query.limit],
    );
    return { items: rows.map(view), nextCursor: rows.length === query.limit ? String(rows.at(-1)!.id) : null };
  }

  /** A parked call goes back to due with a fresh set of attempts (its first call time, and so the provider's horizon, stay). */
  @Post(':id/retry')
  @HttpCode(200)
  @Answers({ 200: outboundCallViewSchema })
  @Refuses(outboundCallError, 'outbound_call_not_found', 'outbound_call_not_parked')
  async retry(@ZodParams(idParams) { id }: { id: string }): Promise<OutboundCallView> {
    const retried = (await this.dataSource.transaction((manager) => retryParkedCall(manager, { id }))) as CallRow | undefined;
    if (!retried) {
      const [found]: CallRow[] = await this.dataSource.query(`SELECT * FROM outbound_calls WHERE id = $1`, [id]);
      if (!found) throw outboundCallError('outbound_call_not_found', `No outbound call ${id}.`);
      throw outboundCallError('outbound_call_not_parked', `Outbound call ${id} is ${found.status}; only a parked call can be sent again.`, {
        status: found.status,
      });
    }
    this.calls.wake();
    return view(retried);
  }
}
