import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { newId } from '@ebb/contracts';
import { HttpErrorCode, IdempotencyStore, httpError, recordIdempotentEffect } from '@ebb/http';
import { LOGGER, counter, gauge } from '@ebb/observability';
import { OutboundCalls, defineCall, exponentialBackoff, recordCall } from '@ebb/outbound';
import { PaymentErrorCode, paymentError } from '../payments/payment-errors';
import { PAYMENT_PROVIDERS, type PaymentProvider, type PaymentProviders, type ProviderName, ProviderRefusedError, REFUND_NOT_FOUND, dayRange } from '../providers/payment-provider';
import { OutsideRefunds } from '../refunds/outside-refunds';
import { ProviderRefundsService } from '../refunds/provider-refunds.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import { type Difference, type EbbPayment, type EbbRefund, compareRecords } from './compare-records';
import { type DifferenceList, type DifferenceView, type ReconciliationView, differencesCsv } from './reconciliation.view';

/** One run, made after the commit that records it: every provider call outside any transaction, the findings recorded in one. */
export const ReconcileCall = defineCall<{ runId: string }>('reconciliation.run', {
  maxAttempts: 6,
  backoffMs: exponentialBackoff(30_000, 30 * 60_000),
  // a day's bill and its look-ups may take a while
  leaseMs: 15 * 60_000,
});

interface Findings {
  byProvider: { provider: ProviderName; matched: number; differences: Difference[] }[];
}

interface RunRow {
  id: string;
  date: string;
  provider: ProviderName | 'all';
  trigger: 'api' | 'daily';
  status: 'running' | 'done' | 'failed';
  matched: number;
  error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

const found = counter('reconciliation_differences_total', 'Differences reconciliation found, by provider, kind and what was done (repaired, open)', ['provider', 'kind', 'resolution']);
const runs = counter('reconciliation_runs_total', 'Reconciliation runs ended, by provider and status (done, failed)', ['provider', 'status']);
const openGauge = (dataSource: DataSource) =>
  gauge('reconciliation_differences_open', 'Differences between Ebb and a provider that wait for a person (GET /v1/admin/reconciliation-differences?resolution=open)', ['provider'], async function collect() {
    if (!dataSource.isInitialized) return;
    this.reset();
    const rows: { provider: string; n: number }[] = await dataSource.query(`SELECT provider, count(*)::int AS n FROM reconciliation_differences WHERE resolution = 'open' GROUP BY provider`);
    for (const row of rows) this.set({ provider: row.provider }, row.n);
  });

const notFound = (id: string) => paymentError(PaymentErrorCode.ReconciliationNotFound, `No reconciliation ${id}.`);

/**
 * Reconciliation: for each provider, Ebb's captures and refunds of one of the provider's days against
 * the provider's own records of it (Stripe's lists, Alipay's and WeChat Pay's bills). A run is
 * recorded with its outbound call and made after the commit; safe differences are repaired in the
 * transaction that records the findings, the others wait for a person (`open`, alerted on).
 */
@Injectable()
export class ReconciliationRuns implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly calls: OutboundCalls,
    private readonly idempotency: IdempotencyStore,
    private readonly refunds: ProviderRefundsService,
    private readonly outside: OutsideRefunds,
    private readonly webhooks: WebhooksService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    openGauge(this.dataSource);
    // a request whose answer was lost is answered with the run it started
    this.idempotency.answerEffects('reconciliation', async (id) => ({ id }));
    this.calls.handle<{ runId: string }, Findings>(ReconcileCall, {
      call: (call) => this.gather(call.payload.runId),
      onResult: (manager, call, findings) => this.record(manager, call.payload.runId, findings),
      onParked: async (manager, call, error) => {
        await manager.query(`UPDATE reconciliation_runs SET status = 'failed', error = $2, finished_at = now() WHERE id = $1 AND status = 'running'`, [call.payload.runId, error.message.slice(0, 2000)]);
        runs.inc({ provider: 'all', status: 'failed' });
      },
    });
  }

  /** Records a run (and its call) for a day and a provider, or every configured one; a daily run of a day and provider is made once. */
  async start(input: { date: string; provider?: ProviderName; trigger: 'api' | 'daily'; requestedBy: string }): Promise<{ id: string } | undefined> {
    if (input.provider && !this.providers[input.provider]) {
      throw paymentError(PaymentErrorCode.ProviderNotSupported, `${input.provider} is not configured here.`, { provider: input.provider });
    }
    return this.dataSource.transaction(async (manager) => {
      const id = newId('rec');
      const rows: unknown[] = await manager.query(
        `INSERT INTO reconciliation_runs (id, date, provider, trigger, status, requested_by) VALUES ($1, $2, $3, $4, 'running', $5)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [id, input.date, input.provider ?? 'all', input.trigger, input.requestedBy],
      );
      if (rows.length === 0) return undefined;
      await recordCall(manager, ReconcileCall, id, { runId: id });
      await recordIdempotentEffect(manager, `reconciliation:${id}`);
      return { id };
    });
  }

  async get(id: string): Promise<ReconciliationView> {
    const [run]: RunRow[] = await this.dataSource.query(`SELECT * FROM reconciliation_runs WHERE id = $1`, [id]);
    if (!run) throw notFound(id);
    const differences = await this.differences(`WHERE d.run_id = $1 ORDER BY d.id`, [id]);
    return {
      id: run.id,
      date: dateText(run.date),
      provider: run.provider,
      trigger: run.trigger,
      status: run.status,
      matched: run.matched,
      differences,
      ...(run.error ? { error: run.error } : {}),
      createdAt: new Date(run.created_at).toISOString(),
      ...(run.finished_at ? { finishedAt: new Date(run.finished_at).toISOString() } : {}),
    };
  }

  async csv(id: string): Promise<string> {
    return differencesCsv((await this.get(id)).differences);
  }

  /** The differences across runs, oldest first (`resolution=open`: the queue a person works through). */
  async list(query: { resolution?: string; provider?: string; limit: number; cursor?: string }): Promise<DifferenceList> {
    const after = query.cursor ? Number(Buffer.from(query.cursor, 'base64url').toString('utf8')) : 0;
    if (!Number.isSafeInteger(after) || after < 0) throw httpError(HttpErrorCode.ValidationError, 'The request query is invalid.', [{ field: 'cursor', message: 'is not a cursor of this list' }]);
    const rows = await this.differences(
      `WHERE d.id > $1 AND ($2::text IS NULL OR d.resolution = $2) AND ($3::text IS NULL OR d.provider = $3) ORDER BY d.id LIMIT $4`,
      [after, query.resolution ?? null, query.provider ?? null, query.limit + 1],
      true,
    );
    const page = rows.slice(0, query.limit) as DifferenceList['items'];
    return { items: page, nextCursor: rows.length > query.limit ? Buffer.from(page.at(-1)!.id).toString('base64url') : null };
  }

  /** A person has looked at an open difference and settled it with the provider or the shop: closed with their note. */
  async resolve(id: string, note: string, actor: string): Promise<DifferenceView> {
    return this.dataSource.transaction(async (manager) => {
      const [row]: { resolution: string }[] = await manager.query(`SELECT resolution FROM reconciliation_differences WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) throw paymentError(PaymentErrorCode.DifferenceNotFound, `No reconciliation difference ${id}.`);
      if (row.resolution !== 'open') throw paymentError(PaymentErrorCode.DifferenceNotOpen, `Difference ${id} is ${row.resolution}, not open.`, { resolution: row.resolution });
      await manager.query(`UPDATE reconciliation_differences SET resolution = 'resolved', note = $2, resolved_by = $3, resolved_at = now() WHERE id = $1`, [id, note, actor]);
      await recordIdempotentEffect(manager, `difference:${id}`);
      const [view] = await this.differences(`WHERE d.id = $1`, [id], false, manager);
      return view;
    });
  }

  /** No transaction open: Ebb's records of the day, the provider's, and look-ups of what one side alone names. */
  private async gather(runId: string): Promise<Findings> {
    const [run]: RunRow[] = await this.dataSource.query(`SELECT * FROM reconciliation_runs WHERE id = $1`, [runId]);
    if (!run || run.status !== 'running') return { byProvider: [] };
    const names = run.provider === 'all' ? (Object.keys(this.providers) as ProviderName[]) : [run.provider];
    const byProvider: Findings['byProvider'] = [];
    for (const name of names) {
      const provider = this.providers[name];
      if (!provider) continue;
      byProvider.push({ provider: name, ...(await this.compare(provider, dateText(run.date))) });
    }
    return { byProvider };
  }

  private async compare(provider: PaymentProvider, date: string) {
    const { from, to } = dayRange(date, provider.dayOffsetMinutes);
    const payments: EbbPayment[] = (
      await this.dataSource.query(
        `SELECT p.id, p.provider_payment_id, p.status, p.captured_amount, p.currency FROM payments p
          WHERE p.provider = $1 AND p.status = 'succeeded'
            AND EXISTS (SELECT 1 FROM payment_history h WHERE h.payment_id = p.id AND h.status = 'succeeded' AND h.at >= $2 AND h.at < $3)`,
        [provider.name, from, to],
      )
    ).map(paymentOf);
    const refunds: EbbRefund[] = (await this.dataSource.query(`${REFUNDS} WHERE r.provider = $1 AND r.created_at >= $2 AND r.created_at < $3`, [provider.name, from, to])).map(refundOf);
    const statement = await provider.statement(date);
    return compareRecords(provider.name, { payments, refunds }, statement, {
      ebbRefunds: async (records) => {
        const ids = records.map((r) => r.providerRefundId);
        const references = records.filter((r) => r.refundId).map((r) => `${r.refundId}:${r.attempt}`);
        const rows = await this.dataSource.query(`${REFUNDS} WHERE r.provider = $1 AND (r.provider_refund_id = ANY($2::text[]) OR r.refund_id || ':' || r.attempt = ANY($3::text[]))`, [provider.name, ids, references]);
        return rows.map(refundOf);
      },
      ebbPayments: async (ids) =>
        (await this.dataSource.query(`SELECT id, provider_payment_id, status, captured_amount, currency FROM payments WHERE provider = $1 AND provider_payment_id = ANY($2::text[])`, [provider.name, ids])).map(paymentOf),
      providerRefund: async (row) => {
        if (row.providerRefundId) {
          return provider.retrieveRefund(row.providerRefundId).catch((error: unknown) => {
            if (error instanceof ProviderRefusedError && error.code === REFUND_NOT_FOUND) return null;
            throw error;
          });
        }
        return row.providerPaymentId ? provider.findRefund({ providerPaymentId: row.providerPaymentId, refundId: row.refundId, attempt: row.attempt }) : null;
      },
      providerPayment: (id) => provider.lookupPayment(id),
    });
  }

  /** One transaction: the findings, the safe repairs, the run done. A run already recorded (a repeat of the call) changes nothing. */
  private async record(manager: EntityManager, runId: string, findings: Findings): Promise<void> {
    const [run]: RunRow[] = await manager.query(`SELECT * FROM reconciliation_runs WHERE id = $1 FOR UPDATE`, [runId]);
    if (!run || run.status !== 'running') return;
    let matched = 0;
    for (const { provider, differences, matched: alike } of findings.byProvider) {
      matched += alike;
      for (const difference of differences) {
        const resolution = (await this.repair(manager, provider, difference)) ? 'repaired' : 'open';
        await manager.query(
          `INSERT INTO reconciliation_differences (run_id, kind, object, provider, refund_id, provider_refund_id, payment_id, provider_payment_id, currency,
             ebb_amount, provider_amount, ebb_status, provider_status, resolution)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
          [runId, difference.kind, difference.object, provider, difference.refundId ?? null, difference.providerRefundId ?? null, difference.paymentId ?? null,
            difference.providerPaymentId ?? null, difference.currency ?? null, difference.ebbAmount ?? null, difference.providerAmount ?? null,
            difference.ebbStatus ?? null, difference.providerStatus ?? null, resolution],
        );
        found.inc({ provider, kind: difference.kind, resolution });
      }
      runs.inc({ provider, status: 'done' });
    }
    await manager.query(`UPDATE reconciliation_runs SET status = 'done', matched = $2, finished_at = now() WHERE id = $1`, [runId, matched]);
    this.logger.info({ runId, date: dateText(run.date), provider: run.provider, matched, differences: findings.byProvider.reduce((n, p) => n + p.differences.length, 0) }, 'reconciliation done');
  }

  /** The safe repairs, each as the provider's notification would have made it; false: a person must look. */
  private async repair(manager: EntityManager, provider: ProviderName, difference: Difference): Promise<boolean> {
    const repair = difference.repair;
    if (!repair) return false;
    if (repair.kind === 'settle_refund') {
      const outcome = await this.refunds.settle(manager, repair.refundId, { status: repair.status, attempt: repair.attempt, providerRefundId: repair.providerRefundId, reason: repair.reason });
      return outcome === 'applied';
    }
    if (repair.kind === 'record_outside_refund') {
      const outcome = await this.outside.record(manager, provider, repair, 'reconciliation');
      return outcome === 'applied' || outcome === 'unchanged';
    }
    const outcome = await this.webhooks.applyPaymentRecord(manager, provider, {
      kind: 'payment_succeeded',
      eventId: `reconciliation:${repair.providerPaymentId}`,
      type: 'reconciliation',
      payload: {},
      providerPaymentId: repair.providerPaymentId,
      paymentId: repair.paymentId,
      amountReceived: repair.amount,
      currency: repair.currency,
    });
    return outcome === 'applied';
  }

  private async differences(where: string, params: unknown[], withRun = false, manager: EntityManager = this.dataSource.manager): Promise<(DifferenceView & { runId?: string; date?: string })[]> {
    const rows: Record<string, any>[] = await manager.query(`SELECT d.*, r.date FROM reconciliation_differences d JOIN reconciliation_runs r ON r.id = d.run_id ${where}`, params);
    return rows.map((d) => ({
      id: String(d.id),
      kind: d.kind,
      object: d.object,
      provider: d.provider,
      ...(d.refund_id ? { refundId: d.refund_id } : {}),
      ...(d.provider_refund_id ? { providerRefundId: d.provider_refund_id } : {}),
      ...(d.payment_id ? { paymentId: d.payment_id } : {}),
      ...(d.provider_payment_id ? { providerPaymentId: d.provider_payment_id } : {}),
      ...(d.currency ? { currency: d.currency } : {}),
      ...(d.ebb_amount !== null ? { ebbAmount: Number(d.ebb_amount) } : {}),
      ...(d.provider_amount !== null ? { providerAmount: Number(d.provider_amount) } : {}),
      ...(d.ebb_status ? { ebbStatus: d.ebb_status } : {}),
      ...(d.provider_status ? { providerStatus: d.provider_status } : {}),
      resolution: d.resolution,
      ...(d.note ? { note: d.note } : {}),
      ...(d.resolved_by ? { resolvedBy: d.resolved_by } : {}),
      ...(d.resolved_at ? { resolvedAt: new Date(d.resolved_at).toISOString() } : {}),
      ...(withRun ? { runId: d.run_id, date: dateText(d.date) } : {}),
    }));
  }
}

const REFUNDS = `SELECT r.refund_id, r.attempt, r.provider_refund_id, p.provider_payment_id, r.status, r.amount, r.currency FROM provider_refunds r LEFT JOIN payments p ON p.id = r.payment_id`;

function refundOf(row: Record<string, any>): EbbRefund {
  return {
    refundId: row.refund_id,
    attempt: row.attempt,
    providerRefundId: row.provider_refund_id,
    providerPaymentId: row.provider_payment_id,
    status: row.status,
    amount: Number(row.amount),
    currency: row.currency,
  };
}

function paymentOf(row: Record<string, any>): EbbPayment {
  return { id: row.id, providerPaymentId: row.provider_payment_id, status: row.status, capturedAmount: Number(row.captured_amount), currency: row.currency };
}

/** node-postgres reads a `date` as local midnight: written back as the calendar day it holds. */
function dateText(value: Date | string): string {
  if (typeof value === 'string') return value.slice(0, 10);
  return `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`;
}
