import { z } from 'zod';
import { LOCALES, isoTimeSchema as isoTime } from '@ebb/contracts';
import type { OrderMessage } from '@ebb/contracts';
import { DUPLICATE_PAYMENT_STATUSES, type OrderWithLines, SUPPORT_FLAG_KINDS } from './order.entity';
import { FULFILLMENT_STATUSES, ORDER_STATUSES, PAYMENT_STATUSES } from './order-state';

const minorUnits = z.number().int().describe("minor units of the order's currency");

/**
 * An order as `GET /v1/orders/:id` answers it (api-v1), plus `shipment.items`, `promisedShipBy`,
 * `paymentId` and `duplicatePayments` when known: the schema is the OpenAPI document's answer and
 * the type the code builds, so the two cannot differ.
 */
export const orderResponseSchema = z.strictObject({
  id: z.string(),
  customerId: z.string(),
  email: z.string(),
  sellerId: z.string(),
  currency: z.string(),
  items: z.array(z.strictObject({ productId: z.string(), sku: z.string(), quantity: z.number().int(), unitAmount: minorUnits })),
  shippingAmount: minorUnits,
  totalAmount: minorUnits,
  capturedAmount: minorUnits,
  refundedAmount: minorUnits,
  status: z.enum(ORDER_STATUSES),
  paymentStatus: z.enum(PAYMENT_STATUSES),
  fulfillmentStatus: z.enum(FULFILLMENT_STATUSES),
  locale: z.enum(LOCALES).describe("the customer's language"),
  shipment: z
    .strictObject({
      carrier: z.string(),
      trackingNumber: z.string(),
      shippedAt: isoTime,
      items: z.array(z.strictObject({ sku: z.string(), quantity: z.number().int() })).describe('what left with the parcel'),
      deliveredAt: isoTime.optional(),
    })
    .optional(),
  promisedShipBy: isoTime.optional(),
  paymentId: z.string().optional(),
  duplicatePayments: z
    .array(
      z.strictObject({
        paymentId: z.string(),
        amount: minorUnits,
        currency: z.string(),
        status: z.enum(DUPLICATE_PAYMENT_STATUSES),
        refundId: z.string().optional(),
      }),
    )
    .optional()
    .describe("money captured beyond the order's payment, paid back by the system"),
  supportFlags: z
    .array(
      z.strictObject({
        kind: z.enum(SUPPORT_FLAG_KINDS),
        refundId: z.string(),
        amount: minorUnits,
        currency: z.string(),
        note: z.string().optional(),
        flaggedAt: isoTime,
      }),
    )
    .optional()
    .describe('what support should look at: a refund made at the provider outside Ebb (its dashboard) shows here, and in refundedAmount'),
  createdAt: isoTime,
});
export type OrderResponse = z.infer<typeof orderResponseSchema>;

/** `GET /v1/orders`: newest first. */
export const orderListSchema = z.strictObject({ items: z.array(orderResponseSchema) });

/** What both views of an order share: its parties, lines, money and statuses. */
type OrderCore = Omit<OrderResponse, 'shipment' | 'promisedShipBy' | 'paymentId' | 'duplicatePayments' | 'supportFlags' | 'createdAt'>;

function orderCore({ order, lines }: OrderWithLines): OrderCore {
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
    locale: order.locale,
  };
}

/** An order as api-v1 answers it (`GET /v1/orders/:id`), plus `promisedShipBy` and `paymentId` when known. */
export function toOrderResponse(view: OrderWithLines): OrderResponse {
  const { order } = view;
  return {
    ...orderCore(view),
    // a shipment sets its carrier, tracking number and time together
    ...(order.shippedAt && order.carrier !== null && order.trackingNumber !== null && {
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
    ...(view.flags?.length && {
      supportFlags: view.flags.map((f) => ({ kind: f.kind, refundId: f.refundId, amount: f.amount, currency: f.currency, ...(f.note ? { note: f.note } : {}), flaggedAt: f.flaggedAt.toISOString() })),
    }),
    createdAt: order.createdAt.toISOString(),
  };
}

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
    promisedShipBy: order.promisedShipBy?.toISOString() ?? '',
  };
}
