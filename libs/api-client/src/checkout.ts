// A shop's checkout through the public API, as bench and e2e seed the paid orders they refund.
import type { ApiClient } from './api-client';
import { BACKOFF, poll } from './poll';
import { SANDBOX_SECRET_KEY } from './services';

/** The body of `POST /v1/orders` (api-v1.md). */
export interface NewOrder {
  customerId: string;
  email: string;
  currency: string;
  /** the seller of a marketplace order; the shop's default seller when absent */
  sellerId?: string;
  items: { productId: string; sku: string; quantity: number; unitAmount: number }[];
  shippingAmount?: number;
  locale?: 'en' | 'zh-CN';
  promisedShipBy?: string;
}

export interface CheckoutOptions {
  /** A sandbox test card; default `pm_card_visa`. */
  paymentMethod?: string;
  /** How the storefront confirms the card at the provider; default a form POST to the sandbox, as Stripe.js sends it. */
  confirm?: (providerPaymentId: string, paymentMethod: string) => Promise<unknown>;
  /** false for a card meant to be declined: a refused confirmation is no error, and nothing waits for a capture. */
  waitForCapture?: boolean;
  /** How long the webhook may take to capture the order; default 20 s. */
  captureTimeoutMs?: number;
}

export interface Checkout {
  orderId: string;
  totalAmount: number;
  paymentId: string;
  providerPaymentId: string;
}

/**
 * The customer places the order, payment-service opens the PaymentIntent, the storefront confirms the
 * card at the provider, and the signed webhook captures the order. Throws an ApiError if a step is refused.
 */
export async function checkout(api: ApiClient, token: string, order: NewOrder, options: CheckoutOptions = {}): Promise<Checkout> {
  const { paymentMethod = 'pm_card_visa', waitForCapture = true, captureTimeoutMs = 20_000 } = options;
  const confirm =
    options.confirm ??
    ((providerPaymentId: string, method: string) =>
      api.call('sandbox', 'POST', `/v1/payment_intents/${providerPaymentId}/confirm`, { token: SANDBOX_SECRET_KEY, form: { payment_method: method } }));
  const placed = await api.call('order', 'POST', '/v1/orders', { token, body: order });
  const payment = await api.call('payment', 'POST', '/v1/payments', { token, body: { orderId: placed.id } });
  const paid = { orderId: placed.id, totalAmount: placed.totalAmount, paymentId: payment.id, providerPaymentId: payment.providerPaymentId };
  if (!waitForCapture) {
    await confirm(payment.providerPaymentId, paymentMethod).catch(() => undefined);
    return paid;
  }
  await confirm(payment.providerPaymentId, paymentMethod);
  await poll(
    `order ${placed.id} to be captured`,
    async () => (await api.call('order', 'GET', `/v1/orders/${placed.id}`, { token })).paymentStatus === 'captured',
    { ...BACKOFF, timeoutMs: captureTimeoutMs },
  );
  return paid;
}
