import type { EntityManager } from 'typeorm';
import type { RefundSnapshot } from '@ebb/contracts';
import type { IncomingMessage } from '@ebb/messaging';
import { type SkuQuantity, adjustStock, lockStockRows, mergeBySku } from '../stock/stock.repository';
import { lockOrder, reservationsOf } from './reservation.repository';

interface LineRow {
  sku: string;
  quantity: number;
  released_quantity: number;
  shipped_quantity: number;
  returned_quantity: number;
}

/**
 * The goods a refund puts back, as refund-service decided them (`restockItems`); events from before
 * it decided them: the refund's items, or every line for a full refund of goods that never shipped
 * or that came back.
 */
function wantedGoods(payload: RefundSnapshot, totalAmount: number | null, lines: LineRow[]): SkuQuantity[] {
  if (payload.restockItems) return payload.restockItems;
  if (payload.shipped && !payload.restock) return [];
  const fullRefund = totalAmount !== null && payload.amount >= totalAmount;
  return payload.items ?? (fullRefund ? lines.map(({ sku, quantity }) => ({ sku, quantity })) : []);
}

/**
 * refund.succeeded: the goods that are back with us go back on hand, once per refund — goods that
 * never shipped (at most what is still here: never units that left with the shipment), or goods
 * that came back (intercepted, or returned and passed inspection: at most what left and has not
 * come back already). A refund of money only, or of goods the customer keeps, restocks nothing.
 */
export async function releaseRefundedLines({ payload }: IncomingMessage<RefundSnapshot>, manager: EntityManager): Promise<void> {
  const order = await lockOrder(manager, payload.orderId);
  if (!order) throw new Error(`order ${payload.orderId} is not known to inventory yet`);

  const already: unknown[] = await manager.query(`SELECT 1 FROM applied_refunds WHERE refund_id = $1`, [payload.refundId]);
  if (already.length > 0) return;

  const lines: LineRow[] = await manager.query(
    `SELECT sku, quantity, released_quantity, shipped_quantity, returned_quantity FROM order_lines WHERE order_id = $1 ORDER BY sku`,
    [payload.orderId],
  );
  const reservations = new Map((await reservationsOf(manager, payload.orderId)).map((r) => [r.sku, r]));
  const released: SkuQuantity[] = [];
  for (const want of mergeBySku(wantedGoods(payload, order.totalAmount, lines))) {
    const line = lines.find((l) => l.sku === want.sku);
    const reservation = reservations.get(want.sku);
    if (!line || !reservation) continue;
    // the capture is still on its way: the units are reserved, not yet taken; retry once it is applied
    if (reservation.status === 'active') throw new Error(`reservation of ${want.sku} for order ${payload.orderId} is not committed yet`);
    // released by a cancellation: nothing left the stock, so nothing comes back
    if (reservation.status !== 'committed') continue;
    // an order whose shipment was never recorded here shipped before lines were counted: every line not put back
    const shipped = line.shipped_quantity || line.quantity - line.released_quantity;
    const room = payload.shipped ? shipped - line.returned_quantity : line.quantity - line.shipped_quantity - line.released_quantity;
    const quantity = Math.min(want.quantity, room);
    if (quantity > 0) released.push({ sku: want.sku, quantity });
  }

  await manager.query(`INSERT INTO applied_refunds (refund_id, order_id, items) VALUES ($1, $2, $3::jsonb)`, [
    payload.refundId,
    payload.orderId,
    JSON.stringify(released),
  ]);
  if (released.length === 0) return;

  await lockStockRows(manager, released.map((r) => r.sku));
  await adjustStock(manager, released.map((r) => ({ sku: r.sku, onHand: r.quantity, reserved: 0 })));
  const counts = payload.shipped
    ? // what came back; a shipment never recorded here is counted as it was assumed above
      `returned_quantity = l.returned_quantity + r.quantity,
       shipped_quantity = CASE WHEN l.shipped_quantity = 0 THEN l.quantity - l.released_quantity ELSE l.shipped_quantity END`
    : `released_quantity = l.released_quantity + r.quantity`;
  await manager.query(
    `UPDATE order_lines l SET ${counts} FROM unnest($2::text[], $3::int[]) AS r(sku, quantity) WHERE l.order_id = $1 AND l.sku = r.sku`,
    [payload.orderId, released.map((r) => r.sku), released.map((r) => r.quantity)],
  );
  // no event: nothing consumes it (the stock API and applied_refunds show what came back), and a refund publishes as few messages as it can
}
