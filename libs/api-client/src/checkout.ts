// A shop's checkout through the public API, as bench and e2e seed the paid orders they refund.
import type { ApiClient } from './api-client';
import { BACKOFF, poll } from './poll';
import { SANDBOX_SECRET_KEY } from './services';
import { type RequestBody, ok } from './typed-client';

/** The body of `POST /v1/orders`, as the OpenAPI document describes it. */
export type NewOrder = RequestBody<'/v1/orders', 'post'>;

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
    // the provider's own form-encoded endpoint, which the public document does not describe: sent raw
    ((providerPaymentId: string, method: string) =>
      api.call('sandbox', 'POST', `/v1/payment_intents/${providerPaymentId}/confirm`, { token: SANDBOX_SECRET_KEY, form: { payment_method: method } }));
  const orders = api.typed('order', token);
  const placed = await ok(orders.POST('/v1/orders', { body: order }));
  const payment = await ok(api.typed('payment', token).POST('/v1/payments', { body: { orderId: placed.id } }));
  const providerPaymentId = payment.providerPaymentId;
  // a card payment opens its PaymentIntent before answering; only a wallet's (Alipay, WeChat Pay) may have none yet
  if (!providerPaymentId) throw new Error(`payment ${payment.id} of order ${placed.id} has no PaymentIntent to confirm`);
  const paid = { orderId: placed.id, totalAmount: placed.totalAmount, paymentId: payment.id, providerPaymentId };
  if (!waitForCapture) {
    await confirm(providerPaymentId, paymentMethod).catch(() => undefined);
    return paid;
  }
  await confirm(providerPaymentId, paymentMethod);
  await poll(
    `order ${placed.id} to be captured`,
    async () => (await ok(orders.GET('/v1/orders/{id}', { params: { path: { id: placed.id } } }))).paymentStatus === 'captured',
    { ...BACKOFF, timeoutMs: captureTimeoutMs },
  );
  return paid;
}
