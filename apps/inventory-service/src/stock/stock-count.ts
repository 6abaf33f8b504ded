import type { EntityManager } from 'typeorm';
import { z } from 'zod';
import { InventoryStockShort } from '@ebb/contracts';
import { addToOutbox } from '@ebb/messaging';
import { InventoryErrorCode, inventoryError } from '../inventory-errors';
import { stockView, stockViewSchema } from './stock.entity';
import { lockStockRows } from './stock.repository';

/** `POST /v1/stock/:sku/counts`: every unit of the sku on the shelf, those paid orders wait for included. */
export const stockCountSchema = z.strictObject({
  counted: z.number({ error: 'must be a whole number of units' }).int('must be a whole number of units').nonnegative('must not be negative').max(2_147_483_647, 'is too large'),
  note: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters').optional(),
});
export type StockCount = z.infer<typeof stockCountSchema>;

export const stockCountAnswerSchema = stockViewSchema.extend({
  heldForPaidOrders: z.number().int().describe('units on the shelf that paid orders wait for (not part of onHand)'),
  short: z.array(z.strictObject({ orderId: z.string(), quantity: z.number().int() })).describe('paid units the count found missing: the system refunds them'),
});
export type StockCountAnswer = z.infer<typeof stockCountAnswerSchema>;

/**
 * A stock count: the shelf holds what paid orders wait for (committed, not shipped) and what is on
 * hand. Paid orders are served first; what is left is on hand (never below what unpaid orders
 * reserve: 409). Units missing for paid orders are taken from the newest paid orders first, marked
 * short on their lines (never counted again) and announced, one `inventory.stock_short` per order
 * line, in the same transaction: refund-service refunds exactly those units, the rest of the order ships.
 */
export async function countStock(manager: EntityManager, sku: string, { counted }: StockCount): Promise<StockCountAnswer> {
  const stock = (await lockStockRows(manager, [sku])).get(sku);
  if (!stock) throw inventoryError(InventoryErrorCode.SkuNotFound, `No stock is recorded for SKU ${sku}.`, { sku });
  const waiting: { order_id: string; open: number; short_quantity: number }[] = await manager.query(
    `SELECT l.order_id, (l.quantity - l.shipped_quantity - l.released_quantity - l.short_quantity)::int AS open, l.short_quantity
       FROM order_lines l JOIN reservations r ON r.order_id = l.order_id AND r.sku = l.sku AND r.status = 'committed'
      WHERE l.sku = $1 AND l.quantity - l.shipped_quantity - l.released_quantity - l.short_quantity > 0
      ORDER BY r.updated_at DESC, l.order_id DESC
      FOR UPDATE OF l`,
    [sku],
  );
  const paid = waiting.reduce((sum, line) => sum + line.open, 0);
  const kept = Math.min(counted, paid);
  const onHand = counted - kept;
  if (onHand < stock.reserved) {
    throw inventoryError(InventoryErrorCode.StockBelowReserved, `The count leaves ${onHand} of ${sku} on hand, below the ${stock.reserved} units reserved for unpaid orders.`, {
      sku,
      reserved: stock.reserved,
      onHand,
    });
  }
  let missing = paid - kept;
  const short: { orderId: string; quantity: number }[] = [];
  // the newest paid orders give way first
  for (const line of waiting) {
    if (missing === 0) break;
    const quantity = Math.min(line.open, missing);
    missing -= quantity;
    short.push({ orderId: line.order_id, quantity });
    await manager.query(`UPDATE order_lines SET short_quantity = short_quantity + $3 WHERE order_id = $1 AND sku = $2`, [line.order_id, sku, quantity]);
    await addToOutbox(manager, InventoryStockShort, { orderId: line.order_id, sku, quantity, shortQuantity: line.short_quantity + quantity });
  }
  await manager.query(`UPDATE stock SET on_hand = $2, updated_at = now() WHERE sku = $1`, [sku, onHand]);
  return { ...stockView({ ...stock, onHand }), heldForPaidOrders: kept, short };
}
