import type { EntityManager } from 'typeorm';
import type { OrderShipped } from '@ebb/contracts';
import type { IncomingMessage } from '@ebb/messaging';
import { lockOrder } from './reservation.repository';

/**
 * order.shipped: what left the warehouse, line by line. A refund can then put back only what is
 * still here (goods that never shipped) or what left and came back, never goods on their way to
 * the customer. An event from before shipments named their lines shipped every line not put back.
 */
export async function recordShipment({ payload }: IncomingMessage<OrderShipped>, manager: EntityManager): Promise<void> {
  const order = await lockOrder(manager, payload.orderId);
  if (!order) throw new Error(`order ${payload.orderId} is not known to inventory yet`);
  if (!payload.items) {
    await manager.query(`UPDATE order_lines SET shipped_quantity = quantity - released_quantity WHERE order_id = $1 AND shipped_quantity = 0`, [payload.orderId]);
    return;
  }
  // one shipment per order: setting (not adding) makes a second delivery of the event change nothing
  await manager.query(
    `UPDATE order_lines l SET shipped_quantity = least(s.quantity, l.quantity - l.released_quantity - l.short_quantity)
       FROM unnest($2::text[], $3::int[]) AS s(sku, quantity) WHERE l.order_id = $1 AND l.sku = s.sku`,
    [payload.orderId, payload.items.map((item) => item.sku), payload.items.map((item) => item.quantity)],
  );
}
