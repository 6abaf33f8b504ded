import type { EntityManager } from 'typeorm';
import { InventoryReleased, type OrderCancelled } from '@ebb/contracts';
import { type IncomingMessage, addToOutbox } from '@ebb/messaging';
import { adjustStock, lockStockRows } from '../stock/stock.repository';
import { lockOrder, reservationsOf, setOrderStatus, setReservationStatus } from './reservation.repository';

/** order.cancelled: units still held for the order become available again. */
export async function releaseCancelledOrder({ payload }: IncomingMessage<OrderCancelled>, manager: EntityManager): Promise<void> {
  // a cancellation that overtakes its order.placed leaves a marker, so the late order reserves nothing
  const marked: unknown[] = await manager.query(
    `INSERT INTO inventory_orders (order_id, status) VALUES ($1, 'cancelled') ON CONFLICT (order_id) DO NOTHING RETURNING order_id`,
    [payload.orderId],
  );
  if (marked.length > 0) return;

  const order = await lockOrder(manager, payload.orderId);
  const active = (await reservationsOf(manager, payload.orderId)).filter((r) => r.status === 'active');
  if (order && (order.status === 'reserved' || order.status === 'reservation_failed')) {
    await setOrderStatus(manager, payload.orderId, 'cancelled');
  }
  if (active.length === 0) return;

  await lockStockRows(manager, active.map((r) => r.sku));
  await adjustStock(manager, active.map((r) => ({ sku: r.sku, onHand: 0, reserved: -r.quantity })));
  await setReservationStatus(manager, payload.orderId, 'active', 'released');
  await addToOutbox(manager, InventoryReleased, { orderId: payload.orderId, items: active.map(({ sku, quantity }) => ({ sku, quantity })) });
}
