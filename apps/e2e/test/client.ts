import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { type PlatformApp, type TestPlatform, tokenFor, waitFor } from '@ebb/testing';

export interface Answer<T = any> {
  status: number;
  body: T;
}

/** A client written against api-v1.md: what a storefront, a support tool or an operator sends. */
export class Client {
  constructor(private readonly platform: TestPlatform) {}

  async call<T = any>(
    app: PlatformApp,
    method: string,
    path: string,
    options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${this.platform.url(app)}${path}`, {
      method,
      headers,
      body: options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body)),
    });
    const text = await response.text();
    let body: any = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  }

  /** The storefront's Stripe.js step, done with the official SDK against the sandbox. */
  stripe(): Stripe {
    return new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: this.platform.ports.sandbox, protocol: 'http' });
  }
}

export const admin = () => tokenFor('admin', 'ops-e2e');
export const support = () => tokenFor('support', 'agent-e2e');

export interface PaidOrder {
  orderId: string;
  customerId: string;
  token: string;
  email: string;
  lines: { productId: string; sku: string; quantity: number; unitAmount: number }[];
  total: number;
}

/** Stocks the products, places the order as its customer, pays it by card and waits for the capture. */
export async function paidOrder(
  client: Client,
  lines: { quantity: number; unitAmount: number }[],
  options: { paymentMethod?: string; shippingAmount?: number; waitForCapture?: boolean } = {},
): Promise<PaidOrder & { paymentId: string; providerPaymentId: string }> {
  const run = randomUUID().slice(0, 8);
  const customerId = `cust-${run}`;
  const token = tokenFor('customer', customerId);
  const email = `buyer-${run}@example.com`;
  const full = lines.map((line, index) => ({ ...line, productId: `prod-${run}-${index}`, sku: `SKU-${run}-${index}` }));
  for (const line of full) {
    const product = await client.call('inventory', 'POST', '/v1/products', {
      token: admin(),
      body: { id: line.productId, sellerId: 'seller-e2e', title: `Product ${line.sku}`, description: 'e2e' },
    });
    if (product.status !== 201) throw new Error(`product: ${product.status} ${JSON.stringify(product.body)}`);
    const stock = await client.call('inventory', 'PUT', `/v1/stock/${line.sku}`, { token: admin(), body: { productId: line.productId, onHand: 100 } });
    if (stock.status !== 200) throw new Error(`stock: ${stock.status} ${JSON.stringify(stock.body)}`);
  }
  const order = await client.call('order', 'POST', '/v1/orders', {
    token,
    body: { customerId, email, currency: 'EUR', items: full, shippingAmount: options.shippingAmount ?? 0 },
  });
  if (order.status !== 201) throw new Error(`order: ${order.status} ${JSON.stringify(order.body)}`);
  const payment = await client.call('payment', 'POST', '/v1/payments', { token, body: { orderId: order.body.id } });
  if (payment.status !== 201) throw new Error(`payment: ${payment.status} ${JSON.stringify(payment.body)}`);
  await client
    .stripe()
    .paymentIntents.confirm(payment.body.providerPaymentId, { payment_method: options.paymentMethod ?? 'pm_card_visa' })
    .catch((error: Error) => {
      if (options.waitForCapture !== false) throw error;
    });
  if (options.waitForCapture !== false) {
    await waitFor(async () => (await client.call('order', 'GET', `/v1/orders/${order.body.id}`, { token })).body.paymentStatus === 'captured', {
      what: 'the order to be captured',
      timeoutMs: 20000,
    });
  }
  return {
    orderId: order.body.id,
    customerId,
    token,
    email,
    lines: full,
    total: order.body.totalAmount,
    paymentId: payment.body.id,
    providerPaymentId: payment.body.providerPaymentId,
  };
}

/** Waits until the refund reaches one of the given states and returns it. */
export async function refundReaches(client: Client, id: string, statuses: string[], token = admin(), timeoutMs = 20000) {
  return waitFor(
    async () => {
      const refund = await client.call('refund', 'GET', `/v1/refunds/${id}`, { token });
      return statuses.includes(refund.body?.status) && refund.body;
    },
    { what: `refund ${id} to reach ${statuses.join('|')}`, timeoutMs },
  );
}
