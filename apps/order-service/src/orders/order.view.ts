import type { OrderMessage } from '@ebb/contracts';
import type { OrderWithLines } from './order.entity';

/** What both views of an order share: its parties, lines, money and statuses. */
function orderCore({ order, lines }: OrderWithLines) {
  return {
    id: order.id,
    customerId: order.customerId,
    email: order.email,
    sellerId: order.sellerId,
    currency: order.currency,
    items: lines.map((line) => ({ productId: line.productId, sku: line.sku, quantity: line.quantity, unitAmount: line.unitAmount })),
    shippingAmount: order.shippingAmount,
    totalAmount: order.totalAmount,
    capturedAmount: order.capturedAmount,
    refundedAmount: order.refundedAmount,
    status: order.status,
    paymentStatus: order.paymentStatus,
    fulfillmentStatus: order.fulfillmentStatus,
  };
}

/** An order as api-v1 answers it (`GET /v1/orders/:id`), plus `promisedShipBy` and `paymentId` when known. */
export function toOrderResponse(view: OrderWithLines) {
  const { order } = view;
  return {
    ...orderCore(view),
    ...(order.shippedAt && {
      shipment: {
        carrier: order.carrier,
        trackingNumber: order.trackingNumber,
        shippedAt: order.shippedAt.toISOString(),
        // what left with the parcel: lines refunded before shipping never do
        items: view.lines.filter((line) => line.shippedQuantity > 0).map((line) => ({ sku: line.sku, quantity: line.shippedQuantity })),
        ...(order.deliveredAt && { deliveredAt: order.deliveredAt.toISOString() }),
      },
    }),
    ...(order.promisedShipBy && { promisedShipBy: order.promisedShipBy.toISOString() }),
    ...(order.paymentId && { paymentId: order.paymentId }),
    // money captured beyond the order's payment, paid back by the system
    ...(view.duplicates?.length && {
      duplicatePayments: view.duplicates.map((d) => ({ paymentId: d.paymentId, amount: d.amount, currency: d.currency, status: d.status, ...(d.refundId ? { refundId: d.refundId } : {}) })),
    }),
    createdAt: order.createdAt.toISOString(),
  };
}
export type OrderResponse = ReturnType<typeof toOrderResponse>;

/** An order as OrderQuery.GetOrder answers it: absent times and payment id are empty strings. */
export function toOrderMessage(view: OrderWithLines): OrderMessage {
  const { order } = view;
  return {
    ...orderCore(view),
    // OrderQuery also tells what left with the shipment
    items: view.lines.map((line) => ({
      productId: line.productId,
      sku: line.sku,
      quantity: line.quantity,
      unitAmount: line.unitAmount,
      shippedQuantity: line.shippedQuantity,
    })),
    paymentId: order.paymentId ?? '',
    createdAt: order.createdAt.toISOString(),
    shippedAt: order.shippedAt?.toISOString() ?? '',
    deliveredAt: order.deliveredAt?.toISOString() ?? '',
    carrier: order.carrier ?? '',
    trackingNumber: order.trackingNumber ?? '',
  };
}
