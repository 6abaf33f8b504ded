import type { OrderMessage } from '@ebb/contracts';
import { uniqueSuffix } from './infra';

/**
 * An order as OrderQuery answers it: unpaid, unshipped, one line of 2 × 1250 and 499 shipping (2999),
 * unless `overrides` say otherwise. The one place a test builds an OrderMessage, so a field the
 * contract gains is added here once.
 */
export function orderMessage(overrides: Partial<OrderMessage> = {}): OrderMessage {
  return {
    id: `ord_${uniqueSuffix()}${uniqueSuffix()}`,
    customerId: 'cus-1',
    email: 'ada@example.com',
    sellerId: 'seller-1',
    currency: 'USD',
    items: [{ productId: 'prod-1', sku: 'SKU-1', quantity: 2, unitAmount: 1250, shippedQuantity: 0 }],
    shippingAmount: 499,
    totalAmount: 2999,
    capturedAmount: 0,
    refundedAmount: 0,
    status: 'pending_payment',
    paymentStatus: 'pending',
    fulfillmentStatus: 'unfulfilled',
    paymentId: '',
    createdAt: new Date().toISOString(),
    shippedAt: '',
    deliveredAt: '',
    carrier: '',
    trackingNumber: '',
    locale: 'en',
    promisedShipBy: '',
    ...overrides,
  };
}
