import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { HttpErrorCode, httpError } from '@ebb/http';
import type { Logger } from 'pino';
import { LOGGER } from '@ebb/observability';
import { PaymentErrorCode, paymentError } from '../payments/payment-errors';
import { PAYMENT_PROVIDERS, type PaymentProviders, type ProviderName, ProviderRefusedError, type ProviderRefundState, REFUND_NOT_FOUND } from '../providers/payment-provider';
import { ProviderRefundCall } from './provider-refund-kind';
import { ProviderRefund } from './provider-refund.entity';
import { type ProviderRefundList, type ProviderRefundSync, type ProviderRefundView, providerRefundView } from './provider-refund.view';
import { ProviderRefundsService } from './provider-refunds.service';
import type { ProviderRefundStatus } from './provider-refund-state';

const notFound = (refundId: string) => paymentError(PaymentErrorCode.ProviderRefundNotFound, `No provider refund for refund ${refundId}.`);

/** An opaque page cursor: the last row's (created_at, refund_id). */
const encodeCursor = (row: ProviderRefund) => Buffer.from(JSON.stringify([new Date(row.createdAt).toISOString(), row.refundId])).toString('base64url');
function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return [at, id];
  } catch {
    // falls through to the refusal
  }
  throw httpError(HttpErrorCode.ValidationError, 'The request query is invalid.', [{ field: 'cursor', message: 'is not a cursor of this list' }]);
}

/** What operators do with provider refunds: list them, ask the provider now, resolve one whose outcome stayed unknown. */
@Injectable()
export class ProviderRefundOperations {
  constructor(
    private readonly dataSource: DataSource,
    private readonly refunds: ProviderRefundsService,
    @Inject(PAYMENT_PROVIDERS) private readonly providers: PaymentProviders,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Oldest first, paged by an opaque cursor; `outcome_unknown` ones are what a person must look at. */
  async list(query: { status?: ProviderRefundStatus; limit: number; cursor?: string }): Promise<ProviderRefundList> {
    const after = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.dataSource
      .getRepository(ProviderRefund)
      .createQueryBuilder('r')
      .where(query.status ? 'r.status = :status' : 'TRUE', { status: query.status })
      .andWhere(after ? '(r.created_at, r.refund_id) > (:at::timestamptz, :id)' : 'TRUE', { at: after?.[0], id: after?.[1] })
      .orderBy('r.created_at', 'ASC')
      .addOrderBy('r.refund_id', 'ASC')
      .limit(query.limit + 1)
      .getMany();
    const page = rows.slice(0, query.limit);
    return { items: page.map(providerRefundView), nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!) : null };
  }

  /**
   * Asks the provider now (outside any transaction): by its refund id if known, else by Ebb's own
   * reference; settles what it says. A refund whose outcome stayed unknown and that the provider never
   * made fails, releasing its amount (refund-service may send it again).
   */
  async sync(refundId: string): Promise<ProviderRefundSync> {
    const [row]: { attempt: number; status: ProviderRefundStatus; provider: ProviderName; provider_refund_id: string | null; provider_payment_id: string | null }[] =
      await this.dataSource.query(
        `SELECT r.attempt, r.status, r.provider, r.provider_refund_id, p.provider_payment_id
           FROM provider_refunds r LEFT JOIN payments p ON p.id = r.payment_id WHERE r.refund_id = $1`,
        [refundId],
      );
    if (!row) throw notFound(refundId);
    const provider = this.providers[row.provider];
    let state: ProviderRefundState | null = null;
    if (provider && (row.provider_refund_id || row.provider_payment_id)) {
      try {
        state = row.provider_refund_id
          ? await provider.retrieveRefund(row.provider_refund_id)
          : await provider.findRefund({ providerPaymentId: row.provider_payment_id!, refundId, attempt: row.attempt });
      } catch (error) {
        // the provider never made it: as a look-up by reference that finds nothing
        if (!(error instanceof ProviderRefusedError && error.code === REFUND_NOT_FOUND)) {
          this.logger.warn({ err: (error as Error).message, refundId }, 'provider refund sync: the provider did not answer');
          throw paymentError(PaymentErrorCode.ProviderUnavailable, 'The payment provider did not answer; try again shortly.');
        }
      }
    }
    const refund = await this.dataSource.transaction(async (manager) => {
      const locked = await this.refunds.findForReport(manager, { refundId });
      if (!locked) throw notFound(refundId);
      if (state && state.status !== 'pending') {
        await this.refunds.settleRow(manager, locked, { ...state, attempt: locked.attempt });
      } else if (!state && locked.status === 'outcome_unknown') {
        await this.refunds.settleRow(manager, locked, { status: 'failed', attempt: locked.attempt, reason: 'not made at the provider (looked up by an operator)' });
      }
      await this.endParkedCall(manager, locked);
      return locked;
    });
    return { refund: providerRefundView(refund), provider: state };
  }

  /** An operator settles a refund whose outcome stayed unknown, from what the provider's dashboard shows. */
  async resolve(refundId: string, body: { outcome: 'succeeded' | 'failed'; providerRefundId?: string; note: string }, actor: string): Promise<ProviderRefundView> {
    return this.dataSource.transaction(async (manager) => {
      const row = await this.refunds.findForReport(manager, { refundId });
      if (!row) throw notFound(refundId);
      if (row.status !== 'outcome_unknown') {
        throw paymentError(PaymentErrorCode.ProviderRefundNotUnknown, `Provider refund ${refundId} is ${row.status}; only one whose outcome is unknown is resolved by hand.`, {
          status: row.status,
        });
      }
      const reason = `${body.note} (resolved by ${actor})`;
      await this.refunds.settleRow(manager, row, { status: body.outcome, attempt: row.attempt, providerRefundId: body.providerRefundId, reason });
      await this.endParkedCall(manager, row);
      this.logger.warn({ refundId, outcome: body.outcome, actor }, 'provider refund resolved by an operator');
      return providerRefundView(row);
    });
  }

  /** A settled refund's parked call is done: nothing is left to send. */
  private async endParkedCall(manager: EntityManager, row: ProviderRefund): Promise<void> {
    if (row.status !== 'succeeded' && row.status !== 'failed') return;
    await manager.query(`UPDATE outbound_calls SET status = 'done', outcome = 'resolved', updated_at = now() WHERE kind = $1 AND key = $2 AND status = 'parked'`, [
      ProviderRefundCall.kind,
      `${row.refundId}:${row.attempt}`,
    ]);
  }
}
