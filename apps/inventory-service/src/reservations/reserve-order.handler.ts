import type { EntityManager } from 'typeorm';
import { InventoryReservationFailed, InventoryReserved, type OrderPlaced, newId } from '@ebb/contracts';
import { type IncomingMessage, addToOutbox } from '@ebb/messaging';
import { adjustStock, lockStockRows, mergeBySku } from '../stock/stock.repository';

/**
 * order.placed: reserves every line or none. The stock rows are locked (in SKU order) before the
 * check, so two orders racing for the last units cannot both see them available.
 */
export async function reserveOrder({ payload }: IncomingMessage<OrderPlaced>, manager: EntityManager): Promise<void> {
  const lines = mergeBySku(payload.items.map(({ sku, productId, quantity }) => ({ sku, productId, quantity })));
  const stock = await lockStockRows(manager, lines.map((line) => line.sku));

  const problems = lines.flatMap((line) => {
    const row = stock.get(line.sku);
    if (!row) return [`unknown_sku: ${line.sku}`];
    const available = row.onHand - row.reserved;
    return available < line.quantity ? [`insufficient_stock: ${line.sku} (${line.quantity} wanted, ${available} available)`] : [];
  });
  const status = problems.length > 0 ? 'reservation_failed' : 'reserved';

  // claims the order: a second order.placed for it, or one after its cancellation, changes nothing
  const claimed: unknown[] = await manager.query(
    `INSERT INTO inventory_orders (order_id, status, total_amount, currency, failure_reason)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [payload.orderId, status, String(payload.totalAmount), payload.currency, problems.length > 0 ? problems.join('; ') : null],
  );
  if (claimed.length === 0) return;

  await manager.query(
    `INSERT INTO order_lines (order_id, sku, product_id, quantity)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[])`,
    [payload.orderId, lines.map((l) => l.sku), lines.map((l) => l.productId), lines.map((l) => l.quantity)],
  );

  if (problems.length > 0) {
    await addToOutbox(manager, InventoryReservationFailed, { orderId: payload.orderId, reason: problems.join('; ') });
    return;
  }

  await adjustStock(manager, lines.map((line) => ({ sku: line.sku, onHand: 0, reserved: line.quantity })));
  await manager.query(
    `INSERT INTO reservations (id, order_id, sku, quantity, status)
     SELECT id, $1, sku, quantity, 'active' FROM unnest($2::text[], $3::text[], $4::int[]) AS r(id, sku, quantity)`,
    [payload.orderId, lines.map(() => newId('rsv')), lines.map((l) => l.sku), lines.map((l) => l.quantity)],
  );
  await addToOutbox(manager, InventoryReserved, { orderId: payload.orderId });
}
