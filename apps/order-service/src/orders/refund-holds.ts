import type { EntityManager } from 'typeorm';
import type { GoodsLine } from '@ebb/contracts';
import type { OrderLine } from './order.entity';

/** held: a refund of these goods is being paid; refunded: they never ship; released: they may ship again. */
export type HoldStatus = 'held' | 'refunded' | 'released';

export interface RefundHold {
  refundId: string;
  items: GoodsLine[];
  status: HoldStatus;
}

/** The order's holds (the caller holds the order's row lock). */
export async function holdsOf(manager: EntityManager, orderId: string): Promise<RefundHold[]> {
  const rows: { refund_id: string; items: GoodsLine[]; status: HoldStatus }[] = await manager.query(
    `SELECT refund_id, items, status FROM order_refund_holds WHERE order_id = $1 ORDER BY created_at, refund_id`,
    [orderId],
  );
  return rows.map((row) => ({ refundId: row.refund_id, items: row.items, status: row.status }));
}

export async function insertHold(manager: EntityManager, orderId: string, refundId: string, items: GoodsLine[], status: HoldStatus): Promise<void> {
  await manager.query(
    `INSERT INTO order_refund_holds (refund_id, order_id, items, status) VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT (refund_id) DO NOTHING`,
    [refundId, orderId, JSON.stringify(items), status],
  );
}

/** The refund succeeded: its held goods will never ship. */
export async function settleHold(manager: EntityManager, refundId: string): Promise<void> {
  await manager.query(`UPDATE order_refund_holds SET status = 'refunded', updated_at = now() WHERE refund_id = $1 AND status = 'held'`, [refundId]);
}

/** The refund ended without money back: its goods may ship; a hold that never came is marked so it never will. */
export async function releaseHold(manager: EntityManager, orderId: string, refundId: string): Promise<void> {
  await manager.query(
    `INSERT INTO order_refund_holds (refund_id, order_id, items, status) VALUES ($1, $2, '[]'::jsonb, 'released')
     ON CONFLICT (refund_id) DO UPDATE SET status = 'released', updated_at = now() WHERE order_refund_holds.status = 'held'`,
    [refundId, orderId],
  );
}

/** What a shipment takes: each line less what it shipped already and what refunds took before shipping. */
export function unshippedLeft(lines: Pick<OrderLine, 'sku' | 'quantity' | 'shippedQuantity'>[], holds: RefundHold[]): GoodsLine[] {
  const refunded = new Map<string, number>();
  for (const hold of holds.filter((h) => h.status === 'refunded')) {
    for (const item of hold.items) refunded.set(item.sku, (refunded.get(item.sku) ?? 0) + item.quantity);
  }
  return lines
    .map((line) => ({ sku: line.sku, quantity: line.quantity - line.shippedQuantity - (refunded.get(line.sku) ?? 0) }))
    .filter((line) => line.quantity > 0);
}
