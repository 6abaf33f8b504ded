// The paid orders a chaos run refunds, made before it starts through the public API as a shop makes
// them (checkout at the sandbox), and shipped or delivered as each flow needs, so the run's refund
// rate does not wait on checkouts.
import { randomUUID } from 'node:crypto';
import { type ApiClient, apiToken, checkout, ok } from '@ebb/api-client';
import { FLOWS, type PlannedFlow, type SeededLine } from './workload';

export interface SeededOrder {
  flow: number;
  id: string;
  customerId: string;
  token: string;
  totalAmount: number;
  providerPaymentId: string;
  lines: SeededLine[];
  trackingNumber?: string;
}

export const adminToken = apiToken('admin', 'chaos-admin');
export const supportToken = apiToken('support', 'chaos-support');

const SKUS = 8;

/** Products with stock enough for any run, spread over a few SKUs so orders don't all queue on one stock row. */
export async function createCatalog(api: ApiClient, run: string): Promise<{ productId: string; sku: string }[]> {
  const skus = Array.from({ length: SKUS }, (_, i) => ({ productId: `chaos-${run}-${i}`, sku: `CHAOS-${run}-${i}` }));
  const inventory = api.typed('inventory', adminToken);
  for (const { productId, sku } of skus) {
    await ok(inventory.POST('/v1/products', { body: { id: productId, sellerId: 'chaos', title: `Chaos ${sku}`, description: 'chaos run' } }));
    await ok(inventory.PUT('/v1/stock/{sku}', { params: { path: { sku } }, body: { productId, onHand: 10_000_000 } }));
  }
  return skus;
}

/** Places, pays and (for flows after shipping) ships or delivers the order of one flow. */
export async function seedOrder(api: ApiClient, catalog: { productId: string; sku: string }[], flow: PlannedFlow): Promise<SeededOrder> {
  const customerId = `chaos-${randomUUID()}`;
  const token = apiToken('customer', customerId);
  const items = flow.lines.map((line, i) => ({ ...catalog[(flow.index + i) % catalog.length], ...line }));
  const order = { customerId, email: `${customerId}@example.com`, currency: 'EUR', items };
  const paid = await checkout(api, token, order, { captureTimeoutMs: 60_000 });
  const seeded: SeededOrder = {
    flow: flow.index,
    id: paid.orderId,
    customerId,
    token,
    totalAmount: paid.totalAmount,
    providerPaymentId: paid.providerPaymentId,
    lines: items.map(({ sku, quantity, unitAmount }) => ({ sku, quantity, unitAmount })),
  };
  const { fulfilment } = FLOWS[flow.kind];
  if (fulfilment !== 'none') {
    // a tracking number ending in -LATE is one the sandbox's carrier can no longer stop
    seeded.trackingNumber = `TRK-${paid.orderId}${flow.kind === 'in-transit-late' ? '-LATE' : ''}`;
    const orders = api.typed('order', adminToken);
    const params = { path: { id: paid.orderId } };
    await ok(orders.POST('/v1/orders/{id}/shipments', { params, body: { carrier: 'dhl', trackingNumber: seeded.trackingNumber } }));
    if (fulfilment === 'delivered') await ok(orders.POST('/v1/orders/{id}/delivery', { params }));
  }
  return seeded;
}

/** Seeds every flow's order, `concurrency` at a time; a checkout that fails leaves its flow out (counted). */
export async function seedOrders(
  api: ApiClient,
  catalog: { productId: string; sku: string }[],
  flows: readonly PlannedFlow[],
  concurrency: number,
  progress: (done: number, failed: number) => void,
): Promise<{ orders: Map<number, SeededOrder>; failures: string[] }> {
  const orders = new Map<number, SeededOrder>();
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < flows.length) {
      const flow = flows[next++];
      try {
        orders.set(flow.index, await seedOrder(api, catalog, flow));
      } catch (error) {
        failures.push(`flow ${flow.index} (${flow.kind}): ${(error as Error).message}`);
      }
      progress(orders.size, failures.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, flows.length) }, worker));
  return { orders, failures };
}
