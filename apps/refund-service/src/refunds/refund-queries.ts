import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type SelectQueryBuilder } from 'typeorm';
import { IdempotencyStore, type Principal } from '@ebb/http';
import { Refund } from './refund.entity';
import { type ListRefundsQuery, type Page, cursorAfter } from './refund.schemas';
import { type RefundListItem, type RefundView, refundListItem, refundView } from './refund.view';
import { RefundUnitOfWork, visible } from './refund-unit-of-work';
import { VoucherStore } from '../vouchers/voucher-store';

/** GET /v1/refunds and /v1/refunds/:id, and the answer of a request whose answer was lost. */
@Injectable()
export class RefundQueries implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    private readonly unit: RefundUnitOfWork,
    private readonly idempotency: IdempotencyStore,
    private readonly vouchers: VoucherStore,
  ) {}

  onModuleInit() {
    // a refund request or action whose answer was lost is answered with the refund as it stands
    this.idempotency.answerEffects('refund', async (id) => refundView(await this.unit.find(id)));
  }

  /** The refund, with its voucher (hash and a short-lived URL) once stored. */
  async get(id: string, principal: Principal): Promise<RefundView> {
    const refund = visible(await this.dataSource.getRepository(Refund).findOneBy({ id }), id, principal);
    const voucher = await this.vouchers.voucherOf(refund);
    return { ...refundView(refund), ...(voucher ? { voucher } : {}) };
  }

  /**
   * Oldest first; with `updatedAfter`, the refunds changed after that instant, oldest change first —
   * but only changes older than the oldest transaction still open on the database: one of those may
   * yet commit a change stamped earlier than what the feed would otherwise answer, and a client
   * whose cursor had moved past it would never see it. Such a change is answered once it commits.
   */
  async list(filter: ListRefundsQuery, principal: Principal): Promise<{ items: RefundListItem[]; nextCursor: string | null }> {
    const query = this.dataSource.getRepository(Refund).createQueryBuilder('r');
    if (filter.orderId) query.andWhere('r.order_id = :orderId', { orderId: filter.orderId });
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (filter.customerId) query.andWhere('r.customer_id = :filterCustomerId', { filterCustomerId: filter.customerId });
    if (filter.createdFrom) query.andWhere('r.created_at >= :createdFrom', { createdFrom: new Date(filter.createdFrom) });
    if (filter.createdBefore) query.andWhere('r.created_at < :createdBefore', { createdBefore: new Date(filter.createdBefore) });
    if (principal.role === 'customer') query.andWhere('r.customer_id = :customerId', { customerId: principal.sub });
    if (filter.updatedAfter) {
      query
        .andWhere('r.updated_at > :updatedAfter', { updatedAfter: new Date(filter.updatedAfter) })
        .andWhere(
          `r.updated_at < (SELECT date_trunc('milliseconds', min(xact_start)) FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL)`,
        )
        .orderBy('r.updated_at', 'ASC')
        .addOrderBy('r.id', 'ASC');
      const refunds = await query.limit(filter.limit).getMany();
      return { items: refunds.map((refund) => refundListItem(refund)), nextCursor: null };
    }
    return this.page(query, filter);
  }

  /** Refunds of one order, oldest first, a page at a time. */
  ofOrder(orderId: string, page: Page): Promise<{ refunds: Refund[]; nextCursor: string | null }> {
    return this.pageOf(this.dataSource.getRepository(Refund).createQueryBuilder('r').where('r.order_id = :orderId', { orderId }), page);
  }

  private async page(query: SelectQueryBuilder<Refund>, page: Page): Promise<{ items: RefundListItem[]; nextCursor: string | null }> {
    const { refunds, nextCursor } = await this.pageOf(query, page);
    const now = Date.now();
    return { items: refunds.map((refund) => refundListItem(refund, now)), nextCursor };
  }

  /** Oldest created first (the review queue: the longest waiting on top), or newest first; keyset-paged on (created_at, id). */
  private async pageOf(query: SelectQueryBuilder<Refund>, page: Page): Promise<{ refunds: Refund[]; nextCursor: string | null }> {
    const newest = page.sort === 'newest';
    if (page.cursor) query.andWhere(`(r.created_at, r.id) ${newest ? '<' : '>'} (:at, :id)`, { at: page.cursor.at, id: page.cursor.id });
    const direction = newest ? 'DESC' : 'ASC';
    const refunds = await query.orderBy('r.created_at', direction).addOrderBy('r.id', direction).limit(page.limit).getMany();
    return { refunds, nextCursor: refunds.length === page.limit ? cursorAfter(refunds.at(-1)!) : null };
  }
}
