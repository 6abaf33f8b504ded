// The benchmark's view of Ebb: the public HTTP API of api-v1.md, as a storefront, a customer, support
// and an admin use it, through the typed client of its OpenAPI document. Nothing here writes another
// service's tables.
import { randomUUID } from 'node:crypto';
import { ApiClient, type ProviderRefund, type SuccessBody, apiToken, checkout, listProviderRefunds, ok } from '@ebb/api-client';

export type { ProviderRefund } from '@ebb/api-client';

/** The API at `ORDER_URL` and so on, else the default ports of `npm start`. */
export const api = new ApiClient();

export const tokens = {
  admin: apiToken('admin', 'bench-admin'),
  support: apiToken('support', 'bench-support'),
  customer: (customerId: string) => apiToken('customer', customerId),
};

/** The typed clients of the services the bench calls as admin; `refunds` sends no token of its own (each call names its caller). */
export const typed = {
  inventory: api.typed('inventory', tokens.admin),
  refundsAsAdmin: api.typed('refund', tokens.admin),
  refunds: api.typed('refund'),
};

/** The bearer header of one call, for a typed client shared by many callers. */
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
    await ok(typed.inventory.POST('/v1/products', { body: { id: productId, sellerId: 'bench', title: `Bench ${sku}`, description: 'benchmark' } }));
    await ok(typed.inventory.PUT('/v1/stock/{sku}', { params: { path: { sku } }, body: { productId, onHand } }));
  }
  return { skus };
}

/** A paid order of one line, for a new customer: the full path a shop's checkout takes (see `checkout`). */
export async function paidOrder(catalog: Catalog, index: number, unitAmount: number, quantity = 1): Promise<PaidOrder> {
  const { productId, sku } = catalog.skus[index % catalog.skus.length];
  const customerId = `bench-${randomUUID()}`;
  const token = tokens.customer(customerId);
  const order = { customerId, email: `${customerId}@example.com`, currency: 'EUR', items: [{ productId, sku, quantity, unitAmount }] };
  // a loaded platform may take long to capture; the poll's growing gap keeps seeding from hammering order-service
  const paid = await checkout(api, token, order, { captureTimeoutMs: 60_000 });
  return { id: paid.orderId, customerId, token, totalAmount: paid.totalAmount, providerPaymentId: paid.providerPaymentId };
}

/** The sandbox's provider refunds created since `since`. */
export const providerRefundsSince = (since: Date): Promise<ProviderRefund[]> => listProviderRefunds(api, since);

/** A refund as the bench follows it: the fields of the document's refund it reads, whether listed, read or just created. */
export type RefundView = Pick<SuccessBody<'/v1/refunds/{id}', 'get'>, 'id' | 'orderId' | 'status' | 'amount' | 'history' | 'updatedAt'>;

export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'rejected', 'cancelled']);
