import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { ApiClient, type NewOrder, type SuccessBody, checkout, ok } from '@ebb/api-client';
import { type PlatformApp, TestPlatform, tokenFor, waitFor } from '@ebb/testing';

/**
 * The public API of the platform under test (api-v1.md), on the ports that platform picked. Specs call
 * documented routes through `typed(service, token)`, so a change of the contract breaks them at compile
 * time; `request` stays for what the document does not describe (malformed bodies, the sandbox's fixtures).
 */
export class Client extends ApiClient {
  constructor(private readonly platform: TestPlatform) {
    super((app) => platform.url(app));
  }

  /** The storefront's Stripe.js step, done with the official SDK against the sandbox. */
  stripe(): Stripe {
    return new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: this.platform.ports.sandbox, protocol: 'http' });
  }
}

/** All six apps for the tests of one describe block: started before them, stopped after them. */
export function platformForTests(env: Partial<Record<PlatformApp, Record<string, string>>> = {}): { readonly platform: TestPlatform; readonly client: Client } {
  const world = {} as { platform: TestPlatform; client: Client };
  beforeAll(async () => {
    world.platform = await TestPlatform.start(undefined, env);
    world.client = new Client(world.platform);
  }, 120000);
  afterAll(async () => {
    await world.platform?.stop();
  });
  return world;
}

/** A refund as `GET /v1/refunds/{id}` answers it, and its statuses. */
export type Refund = SuccessBody<'/v1/refunds/{id}', 'get'>;
export type RefundStatus = Refund['status'];

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
  options: { paymentMethod?: string; shippingAmount?: number; waitForCapture?: boolean; order?: Pick<NewOrder, 'sellerId' | 'locale' | 'promisedShipBy'> } = {},
): Promise<PaidOrder & { paymentId: string; providerPaymentId: string }> {
  const run = randomUUID().slice(0, 8);
  const customerId = `cust-${run}`;
  const token = tokenFor('customer', customerId);
  const email = `buyer-${run}@example.com`;
  const full = lines.map((line, index) => ({ ...line, productId: `prod-${run}-${index}`, sku: `SKU-${run}-${index}` }));
  const inventory = client.typed('inventory', admin());
  for (const line of full) {
    const product = { id: line.productId, sellerId: 'seller-e2e', title: `Product ${line.sku}`, description: 'e2e' };
    await ok(inventory.POST('/v1/products', { body: product }));
    await ok(inventory.PUT('/v1/stock/{sku}', { params: { path: { sku: line.sku } }, body: { productId: line.productId, onHand: 100 } }));
  }
  const order = { customerId, email, currency: 'EUR', items: full, shippingAmount: options.shippingAmount ?? 0, ...options.order };
  const paid = await checkout(client, token, order, {
    paymentMethod: options.paymentMethod,
    waitForCapture: options.waitForCapture,
    confirm: (providerPaymentId, paymentMethod) => client.stripe().paymentIntents.confirm(providerPaymentId, { payment_method: paymentMethod }),
  });
  return { ...paid, customerId, token, email, lines: full, total: paid.totalAmount };
}

/** Waits until the refund reaches one of the given states and returns it. */
export async function refundReaches(client: Client, id: string, statuses: RefundStatus[], token = admin(), timeoutMs = 20000): Promise<Refund> {
  return waitFor(
    async () => {
      const { data } = await client.typed('refund', token).GET('/v1/refunds/{id}', { params: { path: { id } } });
      return data !== undefined && statuses.includes(data.status) && data;
    },
    { what: `refund ${id} to reach ${statuses.join('|')}`, timeoutMs },
  );
}
