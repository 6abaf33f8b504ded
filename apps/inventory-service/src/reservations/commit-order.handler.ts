import type { EntityManager } from 'typeorm';
import { InventoryCommitted, type OrderCaptured } from '@ebb/contracts';
import { type IncomingMessage, addToOutbox } from '@ebb/messaging';
import { adjustStock, lockStockRows } from '../stock/stock.repository';
import { lockOrder, reservationsOf, setOrderStatus, setReservationStatus } from './reservation.repository';

/** order.captured: the reserved units are sold; they leave on-hand and reserved stock together. */
export async function commitOrder({ payload }: IncomingMessage<OrderCaptured>, manager: EntityManager): Promise<void> {
  const order = await lockOrder(manager, payload.orderId);
  // order.placed not handled yet (it is being retried): throwing makes this message wait and retry too
  if (!order) throw new Error(`order ${payload.orderId} is not known to inventory yet`);
  const active = (await reservationsOf(manager, payload.orderId)).filter((r) => r.status === 'active');
  // already committed, or nothing was ever reserved (the reservation failed): nothing to do
  if (active.length === 0) return;

  await lockStockRows(manager, active.map((r) => r.sku));
  await adjustStock(manager, active.map((r) => ({ sku: r.sku, onHand: -r.quantity, reserved: -r.quantity })));
  await setReservationStatus(manager, payload.orderId, 'active', 'committed');
  await setOrderStatus(manager, payload.orderId, 'committed');
  await addToOutbox(manager, InventoryCommitted, { orderId: payload.orderId });
}
