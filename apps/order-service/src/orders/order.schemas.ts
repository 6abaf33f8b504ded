import { z } from 'zod';
import { LOCALES, MoneyError, currencySchema, idSchema, minorUnitsSchema, multiplyMinor, sumMinor } from '@ebb/contracts';

const lineSchema = z.strictObject({
  productId: idSchema,
  sku: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  quantity: z.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be at least 1').max(1_000_000, 'is too large'),
  unitAmount: minorUnitsSchema,
});

/** The order total: Σ quantity × unitAmount + shipping, in integer minor units. */
export function orderTotal(items: { quantity: number; unitAmount: number }[], shippingAmount: number): number {
  return sumMinor([...items.map((line) => multiplyMinor(line.unitAmount, line.quantity)), shippingAmount]);
}

/**
 * `POST /v1/orders`. Two lines with the same SKU are refused rather than merged: they may carry
 * different prices, and guessing which one the caller meant would change the total.
 */
export const createOrderSchema = z
  .strictObject({
    customerId: idSchema,
    email: z.email({ error: 'must be an e-mail address' }).max(254, 'must be at most 254 characters'),
    currency: currencySchema,
    sellerId: idSchema.optional(),
    items: z.array(lineSchema).min(1, 'must hold at least one line').max(100, 'must hold at most 100 lines'),
    shippingAmount: minorUnitsSchema.optional(),
    promisedShipBy: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
    /** the customer's language: their mails and the refund view's next steps are written in it */
    locale: z.enum(LOCALES, { error: `must be one of ${LOCALES.join(', ')}` }).optional(),
  })
  .superRefine((order, ctx) => {
    const seen = new Map<string, number>();
    order.items.forEach((line, index) => {
      const first = seen.get(line.sku);
      if (first === undefined) seen.set(line.sku, index);
      else ctx.addIssue({ code: 'custom', path: ['items', index, 'sku'], message: `repeats the SKU of line ${first}; put the quantity on one line` });
    });
    try {
      orderTotal(order.items, order.shippingAmount ?? 0);
    } catch (error) {
      if (!(error instanceof MoneyError)) throw error;
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'the order total is too large' });
    }
  });
export type CreateOrderInput = z.infer<typeof createOrderSchema>;

export const shipmentSchema = z.strictObject({
  carrier: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  trackingNumber: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
});
export type ShipmentInput = z.infer<typeof shipmentSchema>;

/** `POST /v1/orders/:id/price-error`: lines sold at a wrong price, refunded by the system. */
export const priceErrorSchema = z.strictObject({
  skus: z
    .array(z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'))
    .min(1, 'must name at least one sku')
    .max(100, 'must name at most 100 skus')
    .refine((skus) => new Set(skus).size === skus.length, 'must name each sku once'),
  note: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters'),
});
export type PriceErrorInput = z.infer<typeof priceErrorSchema>;

export const orderIdParams = z.object({ id: idSchema });

export const listOrdersQuery = z.object({
  customerId: idSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});
export type ListOrdersQuery = z.infer<typeof listOrdersQuery>;
