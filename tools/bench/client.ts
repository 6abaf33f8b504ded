// The benchmark's view of Ebb: the public HTTP API of api-v1.md, as a storefront, a customer, support
// and an admin use it. Nothing here writes another service's tables.
import { randomUUID } from 'node:crypto';
import { DEV_JWT_SECRET } from '@ebb/config';
import { DEFAULT_PORTS } from '@ebb/contracts';
import { signToken } from '@ebb/http';

export const SERVICES = ['order', 'payment', 'refund', 'inventory', 'notification', 'sandbox'] as const;
export type Service = (typeof SERVICES)[number];

const PORT_ENV: Record<Service, string> = {
  order: 'ORDER_URL',
  payment: 'PAYMENT_URL',
  refund: 'REFUND_URL',
  inventory: 'INVENTORY_URL',
  notification: 'NOTIFICATION_URL',
  sandbox: 'SANDBOX_URL',
};
export const baseUrl = (service: Service) => process.env[PORT_ENV[service]] ?? `http://127.0.0.1:${DEFAULT_PORTS[service]}`;

const secret = process.env.EBB_JWT_SECRET ?? DEV_JWT_SECRET;
export const tokens = {
  admin: signToken({ sub: 'bench-admin', role: 'admin' }, secret),
  support: signToken({ sub: 'bench-support', role: 'support' }, secret),
  customer: (customerId: string) => signToken({ sub: customerId, role: 'customer' }, secret),
};
const SANDBOX_KEY = process.env.STRIPE_SECRET_KEY ?? 'sk_test_ebb_local';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** One JSON call; a non-2xx answer throws an ApiError with the API's error code. */
export async function call<T = any>(service: Service, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const form = service === 'sandbox' && body !== undefined;
  const response = await fetch(`${baseUrl(service)}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' } : {}),
    },
    body: body === undefined ? undefined : form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) {
    const code = parsed?.error?.code ?? parsed?.error?.type ?? `http_${response.status}`;
    throw new ApiError(response.status, code, `${method} ${service}${path} → ${response.status} ${code}`);
  }
  return parsed as T;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns a value, with a growing gap, for at most `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | false | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let gap = 10; ; gap = Math.min(gap * 2, 250)) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(gap);
  }
}

/** Runs `work` over `items` with at most `concurrency` at once. */
export async function inParallel<T, R>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

export interface PaidOrder {
  id: string;
  customerId: string;
  token: string;
  totalAmount: number;
  providerPaymentId: string;
}

export interface Catalog {
  skus: { productId: string; sku: string }[];
}

/** Products with plenty of stock, spread over several skus so orders don't all queue on one stock row. */
export async function createCatalog(run: string, skuCount: number, onHand: number): Promise<Catalog> {
  const skus = Array.from({ length: skuCount }, (_, i) => ({ productId: `bench-${run}-${i}`, sku: `BENCH-${run}-${i}` }));
  for (const { productId, sku } of skus) {
    await call('inventory', 'POST', '/v1/products', tokens.admin, { id: productId, sellerId: 'bench', title: `Bench ${sku}`, description: 'benchmark' });
    await call('inventory', 'PUT', `/v1/stock/${sku}`, tokens.admin, { productId, onHand });
  }
  return { skus };
}

/**
 * A customer orders, payment-service opens the PaymentIntent, the storefront confirms the card at
 * the provider, and the signed webhook captures the order: the full path a shop's checkout takes.
 */
export async function paidOrder(catalog: Catalog, index: number, unitAmount: number, quantity = 1): Promise<PaidOrder> {
  const { productId, sku } = catalog.skus[index % catalog.skus.length];
  const customerId = `bench-${randomUUID()}`;
  const token = tokens.customer(customerId);
  const order = await call('order', 'POST', '/v1/orders', token, {
    customerId,
    email: `${customerId}@example.com`,
    currency: 'EUR',
    items: [{ productId, sku, quantity, unitAmount }],
  });
  const payment = await call('payment', 'POST', '/v1/payments', token, { orderId: order.id });
  await call('sandbox', 'POST', `/v1/payment_intents/${payment.providerPaymentId}/confirm`, SANDBOX_KEY, { payment_method: 'pm_card_visa' });
  await until(
    async () => (await call('order', 'GET', `/v1/orders/${order.id}`, token)).paymentStatus === 'captured',
    60_000,
    `order ${order.id} to be captured`,
  );
  return { id: order.id, customerId, token, totalAmount: order.totalAmount, providerPaymentId: payment.providerPaymentId };
}

/** The sandbox's provider refunds created since `since` (Stripe's list, paged with starting_after). */
export async function providerRefundsSince(since: Date): Promise<ProviderRefund[]> {
  const all: ProviderRefund[] = [];
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ limit: '100', 'created[gte]': String(Math.floor(since.getTime() / 1000) - 1) });
    if (after) query.set('starting_after', after);
    const page = await call<{ data: ProviderRefund[]; has_more: boolean }>('sandbox', 'GET', `/v1/refunds?${query}`, SANDBOX_KEY);
    all.push(...page.data);
    if (!page.has_more || page.data.length === 0) return all;
    after = page.data[page.data.length - 1].id;
  }
}

export interface ProviderRefund {
  id: string;
  amount: number;
  status: string;
  payment_intent: string;
  metadata: Record<string, string>;
}

export interface RefundView {
  id: string;
  orderId: string;
  status: string;
  amount: number;
  history: { status: string; at: string }[];
  updatedAt: string;
}

export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'rejected', 'cancelled']);
