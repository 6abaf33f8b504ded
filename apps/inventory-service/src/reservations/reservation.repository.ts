import type { EntityManager } from 'typeorm';
import type { InventoryOrderStatus } from './inventory-order.entity';
import type { ReservationStatus } from './reservation.entity';

export interface LockedOrder {
  orderId: string;
  status: InventoryOrderStatus;
  totalAmount: number | null;
}

/** Locks inventory's row of an order: the handlers of one order run one after another. */
export async function lockOrder(manager: EntityManager, orderId: string): Promise<LockedOrder | undefined> {
  const [row]: { order_id: string; status: InventoryOrderStatus; total_amount: string | null }[] = await manager.query(
    `SELECT order_id, status, total_amount FROM inventory_orders WHERE order_id = $1 FOR UPDATE`,
    [orderId],
  );
  return row && { orderId: row.order_id, status: row.status, totalAmount: row.total_amount === null ? null : Number(row.total_amount) };
}

/** The order's reservations, by SKU. */
export async function reservationsOf(
  manager: EntityManager,
  orderId: string,
): Promise<{ sku: string; quantity: number; status: ReservationStatus }[]> {
  return manager.query(`SELECT sku, quantity, status FROM reservations WHERE order_id = $1 ORDER BY sku`, [orderId]);
}

export async function setReservationStatus(
  manager: EntityManager,
  orderId: string,
  from: ReservationStatus,
  to: ReservationStatus,
): Promise<void> {
  await manager.query(`UPDATE reservations SET status = $3, updated_at = now() WHERE order_id = $1 AND status = $2`, [orderId, from, to]);
}

export async function setOrderStatus(manager: EntityManager, orderId: string, status: InventoryOrderStatus): Promise<void> {
  await manager.query(`UPDATE inventory_orders SET status = $2, updated_at = now() WHERE order_id = $1`, [orderId, status]);
}
