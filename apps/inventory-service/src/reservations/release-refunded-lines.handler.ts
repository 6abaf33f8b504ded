import type { EntityManager } from 'typeorm';
import { InventoryReleased, type RefundSnapshot } from '@ebb/contracts';
import { type IncomingMessage, addToOutbox } from '@ebb/messaging';
import { type SkuQuantity, adjustStock, lockStockRows, mergeBySku } from '../stock/stock.repository';
import { lockOrder, reservationsOf } from './reservation.repository';

/**
 * refund.succeeded with the goods in the warehouse: the order had not shipped, or it had and the
 * parcel came back (intercepted in transit, or returned and passed inspection: `restock`). The
 * refunded units go back on hand. The lines are the refund's `items`, or all of the order's for a
 * full refund without items; never more of a SKU than the order holds and has not had put back
 * already; once per refund.
 */
export async function releaseRefundedLines({ payload }: IncomingMessage<RefundSnapshot>, manager: EntityManager): Promise<void> {
  // shipped without `restock`: the goods are not back with us (a goodwill refund, or the customer keeps them)
  if (payload.shipped && !payload.restock) return;
  const order = await lockOrder(manager, payload.orderId);
  if (!order) throw new Error(`order ${payload.orderId} is not known to inventory yet`);

  const already: unknown[] = await manager.query(`SELECT 1 FROM applied_refunds WHERE refund_id = $1`, [payload.refundId]);
  if (already.length > 0) return;

  const lines: { sku: string; quantity: number; released_quantity: number }[] = await manager.query(
    `SELECT sku, quantity, released_quantity FROM order_lines WHERE order_id = $1 ORDER BY sku`,
    [payload.orderId],
  );
  const fullRefund = order.totalAmount !== null && payload.amount >= order.totalAmount;
  const wanted: SkuQuantity[] = payload.items ?? (fullRefund ? lines.map(({ sku, quantity }) => ({ sku, quantity })) : []);

  const reservations = new Map((await reservationsOf(manager, payload.orderId)).map((r) => [r.sku, r]));
  const released: SkuQuantity[] = [];
  for (const want of mergeBySku(wanted)) {
    const line = lines.find((l) => l.sku === want.sku);
    const reservation = reservations.get(want.sku);
    if (!line || !reservation) continue;
    // the capture is still on its way: the units are reserved, not yet taken; retry once it is applied
    if (reservation.status === 'active') throw new Error(`reservation of ${want.sku} for order ${payload.orderId} is not committed yet`);
    // released by a cancellation: nothing left the stock, so nothing comes back
    if (reservation.status !== 'committed') continue;
    const quantity = Math.min(want.quantity, line.quantity - line.released_quantity);
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
  await manager.query(
    `UPDATE order_lines l SET released_quantity = l.released_quantity + r.quantity
     FROM unnest($2::text[], $3::int[]) AS r(sku, quantity) WHERE l.order_id = $1 AND l.sku = r.sku`,
    [payload.orderId, released.map((r) => r.sku), released.map((r) => r.quantity)],
  );
  await addToOutbox(manager, {
    type: InventoryReleased.name,
    payload: { orderId: payload.orderId, refundId: payload.refundId, items: released },
  });
}
