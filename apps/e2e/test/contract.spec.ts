import { type Answer, type EbbClient, type RequestOptions, ok } from '@ebb/api-client';
import { tokenFor } from '@ebb/testing';
import { Client, admin, paidOrder, platformForTests, refundReaches, support } from './client';
import { type DocumentedService, operationFor, servedDocuments, undeclaredCode } from './documented';

type Service = Parameters<Client['request']>[0];
interface Recorded {
  service: Service;
  method: string;
  path: string;
  status: number;
  body: unknown;
}

function jsonOrText(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // held against the document as it came, like ApiClient.request keeps it
  }
}

/** A client that keeps every answer of the five services, typed calls and raw ones, to hold them against the documents they serve. */
class RecordingClient extends Client {
  readonly recorded: Recorded[] = [];

  override async request<T = any>(service: Service, method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const answer = await super.request<T>(service, method, path, options);
    if (service !== 'sandbox') this.recorded.push({ service, method, path, status: answer.status, body: answer.body });
    return answer;
  }

  override typed(service: Service, token?: string): EbbClient {
    const client = super.typed(service, token);
    if (service === 'sandbox') return client;
    client.use({
      onResponse: async ({ request, response }) => {
        const url = new URL(request.url);
        this.recorded.push({ service, method: request.method, path: `${url.pathname}${url.search}`, status: response.status, body: jsonOrText(await response.clone().text()) });
      },
    });
    return client;
  }
}

/**
 * Real answers of the running platform, recorded through the public API as a storefront, a customer,
 * support and an operator make them, each held against the OpenAPI document its service serves at
 * `/docs-json`: the route, the status and the body must all be in it. The calls go through the typed
 * client, so what the spec sends is what the document says a client may send.
 */
describe('the answers of the platform against its OpenAPI documents', () => {
  const world = platformForTests();

  it('documents every answer a storefront, a customer, support and an operator receive', async () => {
    const client = new RecordingClient(world.platform);
    const id = (value: string) => ({ path: { id: value } });

    // a storefront: stock, an order, its payment; a customer's refund before shipping
    const order = await paidOrder(client, [{ quantity: 2, unitAmount: 1500 }, { quantity: 1, unitAmount: 900 }]);
    const asCustomer = { order: client.typed('order', order.token), payment: client.typed('payment', order.token), refund: client.typed('refund', order.token) };
    await asCustomer.order.GET('/v1/orders/{id}', { params: id(order.orderId) });
    await asCustomer.payment.GET('/v1/payments', { params: { query: { orderId: order.orderId } } });
    await asCustomer.payment.GET('/v1/payments/{id}', { params: id(order.paymentId) });
    await client.typed('inventory', admin()).GET('/v1/stock/{sku}', { params: { path: { sku: order.lines[0].sku } } });
    const keyed = { body: { orderId: order.orderId, items: [{ sku: order.lines[1].sku, quantity: 1 }], reason: 'damaged' as const }, params: { header: { 'Idempotency-Key': `c-${order.orderId}` } } };
    const refund = await asCustomer.refund.POST('/v1/refunds', keyed);
    expect(refund.response.status).toBe(201);
    const refundId = refund.data!.id;
    await asCustomer.refund.POST('/v1/refunds', keyed);
    await refundReaches(client, refundId, ['succeeded'], order.token);
    await asCustomer.refund.GET('/v1/refunds', { params: { query: { orderId: order.orderId } } });
    await client.typed('notification', order.token).GET('/v1/notifications', { params: { query: { orderId: order.orderId } } });

    // the client generated from the merged document reaches the same answers, typed
    const typed = await ok(asCustomer.refund.GET('/v1/refunds/{id}', { params: id(refundId) }));
    expect([typed.status, typed.amount, typed.history.at(-1)?.status]).toEqual(['succeeded', 900, 'succeeded']);
    const missing = asCustomer.refund.GET('/v1/refunds/{id}', { params: id('ref_missing') });
    await expect(ok(missing)).rejects.toMatchObject({ status: 404, code: 'refund_not_found' });

    // refusals: bad input, someone else's order, a missing refund, a transition that is not allowed, no token
    await asCustomer.refund.POST('/v1/refunds', { body: { orderId: order.orderId, amount: -1, reason: 'damaged' } });
    await client.typed('refund', tokenFor('customer', 'someone-else')).GET('/v1/refunds/{id}', { params: id(refundId) });
    await client.typed('refund', admin()).GET('/v1/refunds/{id}', { params: id('ref_missing') });
    await asCustomer.refund.POST('/v1/refunds/{id}/cancel', { params: id(refundId) });
    await asCustomer.refund.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 10_000_000, reason: 'damaged' } });
    await client.typed('order').GET('/v1/orders/{id}', { params: id(order.orderId) });
    await client.typed('order', admin()).GET('/v1/orders/{id}', { params: id('ord_missing') });

    // after delivery: a return received by support, inspected, paid
    const shipped = await paidOrder(client, [{ quantity: 1, unitAmount: 2000 }]);
    const orderAsSupport = client.typed('order', support());
    await orderAsSupport.POST('/v1/orders/{id}/shipments', { params: id(shipped.orderId), body: { carrier: 'dhl', trackingNumber: `TRK-${shipped.orderId}` } });
    await orderAsSupport.POST('/v1/orders/{id}/delivery', { params: id(shipped.orderId) });
    const returned = await ok(client.typed('refund', shipped.token).POST('/v1/refunds', { body: { orderId: shipped.orderId, reason: 'not_as_described' } }));
    expect(returned.status).toBe('awaiting_return');
    const refundAsSupport = client.typed('refund', support());
    await refundAsSupport.POST('/v1/refunds/{id}/return-received', { params: id(returned.id) });
    await refundAsSupport.POST('/v1/refunds/{id}/inspection', { params: id(returned.id), body: { result: 'passed', note: 'as new' } });

    // an operator's screens
    const refundAsAdmin = client.typed('refund', admin());
    const seller = { path: { sellerId: 'seller-contract' } };
    await refundAsAdmin.PUT('/v1/refund-policies/sellers/{sellerId}', { params: seller, body: { windowDays: 30 } });
    await refundAsAdmin.GET('/v1/refund-policies/sellers/{sellerId}', { params: seller });
    await refundAsAdmin.GET('/v1/refund-policies/products/{productId}', { params: { path: { productId: 'prod-none' } } });
    for (const service of ['order', 'payment', 'refund', 'inventory', 'notification'] as const) {
      const asAdmin = client.typed(service, admin());
      await asAdmin.GET('/v1/admin/dead-letters');
      await asAdmin.GET('/v1/admin/audit', { params: { query: { limit: 5 } } });
      await client.typed(service).GET('/health/ready');
    }
    const paymentAsAdmin = client.typed('payment', admin());
    await paymentAsAdmin.GET('/v1/admin/provider-refunds', { params: { query: { limit: 5 } } });
    await paymentAsAdmin.GET('/v1/admin/outbound-calls', { params: { query: { status: 'done' } } });
    await client.typed('notification', admin()).GET('/v1/admin/dead-letters/{id}', { params: id('dl_missing') });

    const documents = await servedDocuments(world.platform);
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const answer of client.recorded) {
      const path = answer.path.split('?')[0];
      const operation = operationFor(documents.get(answer.service as DocumentedService)!, answer.method, path);
      const label = `${answer.method} ${answer.service}${path} → ${answer.status}`;
      if (!operation) {
        problems.push(`${label}: no such route in the document`);
        continue;
      }
      seen.add(`${operation.name} ${answer.status}`);
      if (!operation.answers.has(answer.status)) {
        problems.push(`${label}: the document does not list this status (${[...operation.answers.keys()].join(', ')})`);
        continue;
      }
      const validate = operation.answers.get(answer.status);
      if (validate && !validate(answer.body)) problems.push(`${label}: ${JSON.stringify(validate.errors?.slice(0, 3))} in ${JSON.stringify(answer.body).slice(0, 300)}`);
      // a refusal carries one of the codes its route declares (@Refuses and the shared ones)
      const undeclared = undeclaredCode(operation, answer.status, answer.body);
      if (undeclared) problems.push(`${label}: ${undeclared}`);
    }
    expect(problems).toEqual([]);
    // the run met the kinds of answers it set out to: successes and refusals of several routes
    expect(client.recorded.length).toBeGreaterThan(40);
    for (const expected of ['POST /v1/refunds 201', 'POST /v1/refunds 400', 'POST /v1/refunds 422', 'GET /v1/refunds/{id} 404', 'POST /v1/refunds/{id}/cancel 409', 'GET /v1/orders/{id} 401']) {
      expect(seen).toContain(expected);
    }
  });
});
