import type { EntityManager } from 'typeorm';
import type { OrderMessage } from '@ebb/contracts';
import { RefundErrorCode, refundError } from '../refunds/refund-errors';
import { RefundPolicy } from './refund-policy.entity';

/** The window of a product whose product and seller set none (architecture.md). */
export const DEFAULT_WINDOW_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Refuses (422 `refund_window_expired`) a refund of any product whose window has closed: the product's
 * own window, else its seller's, else 30 days, counted from delivery or, before delivery, from
 * purchase. 0 days means no refunds. `productIds` are the products refunded (all the order's when
 * no lines are named).
 */
export async function assertWithinRefundWindow(manager: EntityManager, order: OrderMessage, productIds: string[], now = new Date()): Promise<void> {
  const policies = await manager
    .getRepository(RefundPolicy)
    .createQueryBuilder('policy')
    .where(`(policy.scope = 'product' AND policy.scope_id = ANY(:products)) OR (policy.scope = 'seller' AND policy.scope_id = :seller)`, {
      products: productIds,
      seller: order.sellerId,
    })
    .getMany();
  const windowOf = (scope: string, id: string) => policies.find((policy) => policy.scope === scope && policy.scopeId === id)?.windowDays;
  const since = order.deliveredAt || order.createdAt;
  const sinceMs = Date.parse(since);
  const closed = [...new Set(productIds)].flatMap((productId) => {
    const windowDays = windowOf('product', productId) ?? windowOf('seller', order.sellerId) ?? DEFAULT_WINDOW_DAYS;
    // an order without a readable date cannot prove its window closed; only a 0-day window refuses then
    const expired = windowDays === 0 || (Number.isFinite(sinceMs) && now.getTime() > sinceMs + windowDays * DAY_MS);
    return expired ? [{ productId, windowDays }] : [];
  });
  if (closed.length > 0) {
    throw refundError(RefundErrorCode.RefundWindowExpired, 'The refund window of this order has closed.', {
      since,
      products: closed,
    });
  }
}
