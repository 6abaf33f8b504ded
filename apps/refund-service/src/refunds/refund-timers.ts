import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { majorToMinor } from '@ebb/contracts';
import { ApiError } from '@ebb/http';
import { Jobs, defineJob } from '@ebb/jobs';
import { LOGGER, counter, gauge } from '@ebb/observability';
import { REFUND_ENV, type RefundEnv } from '../config';
import { SYSTEM } from './after-approval';
import { Refund } from './refund.entity';
import { RefundActions } from './refund-actions';
import { RefundErrorCode } from './refund-errors';

/** A refund waiting for a seller's manual review: the system approves it at `autoApproveAt` unless decided before. */
export const AutoApprove = defineJob<{ refundId: string }>('refund_auto_approve');
/** The end of a request's first-decision promise (REFUND_SLA_HOURS): counted as a breach if still undecided. */
export const SlaDeadline = defineJob<{ refundId: string }>('refund_sla_deadline');

/** Statuses of a request that nobody has decided yet. */
export const UNDECIDED = ['requested', 'pending_review'] as const;

const HOUR_MS = 60 * 60 * 1000;

const slaBreaches = counter('refund_sla_breaches_total', 'Refund requests still undecided when REFUND_SLA_HOURS ran out (each counted once)');
const timers = new Set<RefundTimers>();
/** the gauges read the database at scrape time, through whichever refund-service of this process runs */
const oldestUndecided = () =>
  gauge('refund_oldest_undecided_seconds', 'Age of the oldest refund request still waiting for a first decision (0 when none waits)', [], async function collect() {
    const [running] = timers;
    if (running) this.set(await running.oldestUndecidedSeconds());
  });
const slaSeconds = () => gauge('refund_sla_seconds', 'The first-decision promise (REFUND_SLA_HOURS) in seconds: alerts compare the oldest request with it');

/**
 * The refund's timers: a seller's manual review approved by the system after
 * REFUND_AUTO_APPROVE_HOURS (once, by `system`, with a note; a refund decided meanwhile is left
 * alone), and the first-decision promise (REFUND_SLA_HOURS). Both are durable jobs scheduled in the
 * transaction that leaves the refund waiting, fired once across replicas (`@ebb/jobs`).
 */
@Injectable()
export class RefundTimers implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly dataSource: DataSource,
    private readonly jobs: Jobs,
    private readonly actions: RefundActions,
    @Inject(REFUND_ENV) private readonly env: RefundEnv,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {
    oldestUndecided();
    slaSeconds().set(this.env.REFUND_SLA_HOURS * 3600);
  }

  onModuleInit(): void {
    timers.add(this);
    this.jobs.handle(AutoApprove, ({ payload }) => this.autoApprove(payload.refundId));
    this.jobs.handle(SlaDeadline, ({ payload }) => this.slaDeadline(payload.refundId));
  }

  onModuleDestroy(): void {
    timers.delete(this);
  }

  /** When a new refund that waits for the seller's review is approved by the system. */
  autoApproveAt(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.env.REFUND_AUTO_APPROVE_HOURS * HOUR_MS);
  }

  /** When a request must have had its first decision. */
  slaDeadlineOf(createdAt: Date): Date {
    return new Date(createdAt.getTime() + this.env.REFUND_SLA_HOURS * HOUR_MS);
  }

  /** In the transaction that leaves a new refund waiting: its timers. A refund decided at once has none. */
  async schedule(manager: EntityManager, refund: Refund): Promise<void> {
    if (!(UNDECIDED as readonly string[]).includes(refund.status)) return;
    await this.jobs.schedule(manager, SlaDeadline, refund.id, { refundId: refund.id }, this.slaDeadlineOf(refund.createdAt));
    if (refund.autoApproveAt) await this.jobs.schedule(manager, AutoApprove, refund.id, { refundId: refund.id }, refund.autoApproveAt);
  }

  async oldestUndecidedSeconds(): Promise<number> {
    if (!this.dataSource.isInitialized) return 0;
    const [row]: { age: number | null }[] = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM refunds WHERE status = ANY($1::text[])`,
      [UNDECIDED],
    );
    return Math.max(0, row?.age ?? 0);
  }

  /** Nobody decided in time: the system approves, as support would (the order read fresh, goods held or awaited). */
  private async autoApprove(refundId: string): Promise<void> {
    const refund = await this.dataSource.getRepository(Refund).findOneBy({ id: refundId });
    if (refund?.status !== 'pending_review' || !refund.autoApproveAt) return;
    // the limit may have been lowered since: a refund above it now waits for a person
    if (refund.amount > majorToMinor(this.env.REFUND_MAX_AUTO_AMOUNT, refund.currency)) return;
    const hours = this.env.REFUND_AUTO_APPROVE_HOURS;
    const note = `not reviewed within ${hours} hour${hours === 1 ? '' : 's'}: approved automatically`;
    try {
      await this.actions.act(refundId, 'approve', { role: 'service', sub: SYSTEM }, { note, actor: SYSTEM });
      this.logger?.info({ refundId }, 'refund approved automatically: its review was not decided in time');
    } catch (error) {
      // decided meanwhile (approved, rejected, cancelled): left as it is
      if (error instanceof ApiError && error.code === RefundErrorCode.InvalidRefundTransition) return;
      throw error;
    }
  }

  private async slaDeadline(refundId: string): Promise<void> {
    const breached: unknown[] = await this.dataSource.query(
      `UPDATE refunds SET sla_breached_at = now() WHERE id = $1 AND status = ANY($2::text[]) AND sla_breached_at IS NULL RETURNING id`,
      [refundId, UNDECIDED],
    );
    // the UPDATE returns [rows, count]
    if ((breached[0] as unknown[]).length === 0) return;
    slaBreaches.inc();
    this.logger?.warn({ refundId, slaHours: this.env.REFUND_SLA_HOURS }, 'refund request still undecided at the end of its SLA');
  }
}
