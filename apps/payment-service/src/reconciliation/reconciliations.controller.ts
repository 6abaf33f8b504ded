import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
import { PaymentErrorCode as E, paymentError } from '../payments/payment-errors';
import { PROVIDER_NAMES } from '../providers/payment-provider';
import { ReconciliationRuns } from './reconciliation-runs';
import { RESOLUTIONS, differenceListSchema, differenceSchema, reconciliationSchema, startedReconciliationSchema } from './reconciliation.view';

const dateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a day like 2026-12-01')
  .refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)) && new Date(`${day}T00:00:00Z`).toISOString().startsWith(day), 'is not a day of the calendar')
  // a day that has not begun anywhere has nothing to reconcile yet
  .refine((day) => Date.parse(`${day}T00:00:00Z`) - 14 * 3_600_000 <= Date.now(), 'is in the future');
const startBody = z.strictObject({ date: dateSchema, provider: z.enum(PROVIDER_NAMES).optional() });
const runParams = z.strictObject({ id: idSchema });
const differenceParams = z.strictObject({ id: z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be a difference id') });
const listQuery = z.strictObject({
  resolution: z.enum(RESOLUTIONS).optional(),
  provider: z.enum(PROVIDER_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(100).optional(),
});
const resolveBody = z.strictObject({ note: z.string().trim().min(1, 'must say what was found and done').max(2000) });

/** Reconciliation for operators: start one for a day, read its differences (JSON or CSV), and the queue of those a person must settle. */
@Roles('admin')
@Controller('v1/admin')
export class ReconciliationsController {
  constructor(private readonly runs: ReconciliationRuns) {}

  @Post('reconciliations')
  @HttpCode(201)
  @Answers({ 201: startedReconciliationSchema })
  @Refuses(paymentError, E.ProviderNotSupported)
  async start(@ZodBody(startBody) body: z.output<typeof startBody>, @CurrentPrincipal() principal: Principal) {
    return (await this.runs.start({ date: body.date, provider: body.provider, trigger: 'api', requestedBy: `${principal.role}:${principal.sub}` }))!;
  }

  @Get('reconciliations/:id')
  @Answers({ 200: reconciliationSchema })
  @Refuses(paymentError, E.ReconciliationNotFound)
  get(@ZodParams(runParams) { id }: { id: string }) {
    return this.runs.get(id);
  }

  @Get('reconciliations/:id/differences.csv')
  @Answers({ 200: z.string().describe('text/csv: a header, then one row per difference') })
  @Refuses(paymentError, E.ReconciliationNotFound)
  async csv(@ZodParams(runParams) { id }: { id: string }, @Res({ passthrough: true }) response: Response) {
    const csv = await this.runs.csv(id);
    response.type('text/csv; charset=utf-8').setHeader('content-disposition', `attachment; filename="${id}.csv"`);
    return csv;
  }

  @Get('reconciliation-differences')
  @Answers({ 200: differenceListSchema })
  list(@ZodQuery(listQuery) query: z.output<typeof listQuery>) {
    return this.runs.list(query);
  }

  @Post('reconciliation-differences/:id/resolve')
  @HttpCode(200)
  @Answers({ 200: differenceSchema })
  @Refuses(paymentError, E.DifferenceNotFound, E.DifferenceNotOpen)
  resolve(@ZodParams(differenceParams) { id }: { id: string }, @ZodBody(resolveBody) body: z.output<typeof resolveBody>, @CurrentPrincipal() principal: Principal) {
    return this.runs.resolve(id, body.note, `${principal.role}:${principal.sub}`);
  }
}
