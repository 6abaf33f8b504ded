import type { EntityManager } from 'typeorm';

export interface StockRow {
  sku: string;
  productId: string;
  onHand: number;
  reserved: number;
}

/** A quantity of one SKU, as events and reservations carry it. */
export interface SkuQuantity {
  sku: string;
  quantity: number;
}

/**
 * Locks the stock rows of these SKUs for the rest of the transaction, always in SKU order, so two
 * transactions that lock overlapping sets wait for each other instead of deadlocking. SKUs with no
 * stock row are absent from the map.
 */
export async function lockStockRows(manager: EntityManager, skus: string[]): Promise<Map<string, StockRow>> {
  if (skus.length === 0) return new Map();
  const rows: { sku: string; product_id: string; on_hand: number; reserved: number }[] = await manager.query(
    `SELECT sku, product_id, on_hand, reserved FROM stock WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
    [skus],
  );
  return new Map(rows.map((row) => [row.sku, { sku: row.sku, productId: row.product_id, onHand: row.on_hand, reserved: row.reserved }]));
}

/** Adds (or with negative deltas, takes away) units of on-hand and reserved stock, one statement for all SKUs. */
export async function adjustStock(
  manager: EntityManager,
  changes: { sku: string; onHand: number; reserved: number }[],
): Promise<void> {
  if (changes.length === 0) return;
  await manager.query(
    `UPDATE stock s SET on_hand = s.on_hand + c.on_hand, reserved = s.reserved + c.reserved, updated_at = now()
     FROM unnest($1::text[], $2::int[], $3::int[]) AS c(sku, on_hand, reserved) WHERE s.sku = c.sku`,
    [changes.map((c) => c.sku), changes.map((c) => c.onHand), changes.map((c) => c.reserved)],
  );
}

/** Lines of the same SKU merged into one quantity, in SKU order (the order rows are locked in). */
export function mergeBySku<T extends SkuQuantity>(lines: T[]): (T & SkuQuantity)[] {
  const merged = new Map<string, T & SkuQuantity>();
  for (const line of lines) {
    const seen = merged.get(line.sku);
    if (seen) seen.quantity += line.quantity;
    else merged.set(line.sku, { ...line });
  }
  return [...merged.values()].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
}
