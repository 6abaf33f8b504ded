import type { EntityManager } from 'typeorm';
import type { OrderMessage } from '@ebb/contracts';
import { RELEASED_STATUSES } from './refund-state';

/** How much of a sku the order holds, and at what unit price (its first line's). */
export type OrderedSkus = Map<string, { quantity: number; unitAmount: number }>;

export function orderedSkus(order: Pick<OrderMessage, 'items'>): OrderedSkus {
  const skus: OrderedSkus = new Map();
  for (const line of order.items) {
    const seen = skus.get(line.sku);
    skus.set(line.sku, { quantity: (seen?.quantity ?? 0) + line.quantity, unitAmount: seen?.unitAmount ?? line.unitAmount });
  }
  return skus;
}

/**
 * How many units of each sku the order has left to refund: ordered, less the goods of its active
 * and succeeded refunds (read under the ledger lock, so concurrent requests see each other's).
 */
export async function goodsLeft(manager: EntityManager, orderId: string, skus: OrderedSkus): Promise<Map<string, number>> {
  const rows: { sku: string; quantity: number }[] = await manager.query(
    `SELECT line->>'sku' AS sku, sum((line->>'quantity')::int)::int AS quantity
       FROM refunds, jsonb_array_elements(refunds.goods) AS line
      WHERE refunds.order_id = $1 AND refunds.status <> ALL($2::text[])
      GROUP BY 1`,
    [orderId, RELEASED_STATUSES],
  );
  const held = new Map(rows.map((row) => [row.sku, row.quantity]));
  return new Map([...skus].map(([sku, { quantity }]) => [sku, quantity - (held.get(sku) ?? 0)]));
}
