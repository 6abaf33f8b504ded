import { type Answer, type RequestOptions, ok, typedClient } from '@ebb/api-client';
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

/** A client that keeps every answer of the five services, to hold them against the documents they serve. */
class RecordingClient extends Client {
  readonly recorded: Recorded[] = [];

  override async request<T = any>(service: Service, method: string, path: string, options: RequestOptions = {}): Promise<Answer<T>> {
    const answer = await super.request<T>(service, method, path, options);
    if (service !== 'sandbox') this.recorded.push({ service, method, path, status: answer.status, body: answer.body });
    return answer;
  }
}

/**
 * Real answers of the running platform, recorded through the public API as a storefront, a customer,
 * support and an operator make them, each held against the OpenAPI document its service serves at
 * `/docs-json`: the route, the status and the body must all be in it.
 */
describe('the answers of the platform against its OpenAPI documents', () => {
  const world = platformForTests();

  it('documents every answer a storefront, a customer, support and an operator receive', async () => {
    const client = new RecordingClient(world.platform);
    const call = (service: Service, method: string, path: string, options: RequestOptions = {}) => client.request(service, method, path, options);

    // a storefront: stock, an order, its payment; a customer's refund before shipping
    const order = await paidOrder(client, [{ quantity: 2, unitAmount: 1500 }, { quantity: 1, unitAmount: 900 }]);
    await call('order', 'GET', `/v1/orders/${order.orderId}`, { token: order.token });
    await call('payment', 'GET', `/v1/payments?orderId=${order.orderId}`, { token: order.token });
    await call('payment', 'GET', `/v1/payments/${order.paymentId}`, { token: order.token });
    await call('inventory', 'GET', `/v1/stock/${order.lines[0].sku}`, { token: admin() });
    const refund = await call('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, items: [{ sku: order.lines[1].sku, quantity: 1 }], reason: 'damaged' }, headers: { 'idempotency-key': `c-${order.orderId}` } });
    expect(refund.status).toBe(201);
    await call('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, items: [{ sku: order.lines[1].sku, quantity: 1 }], reason: 'damaged' }, headers: { 'idempotency-key': `c-${order.orderId}` } });
    await refundReaches(client, refund.body.id, ['succeeded'], order.token);
    await call('refund', 'GET', `/v1/refunds?orderId=${order.orderId}`, { token: order.token });
    await call('notification', 'GET', `/v1/notifications?orderId=${order.orderId}`, { token: order.token });

    // the client generated from the merged document reaches the same answers, typed
    const refunds = typedClient('refund', order.token, (service) => world.platform.url(service));
    const typed = await ok(refunds.GET('/v1/refunds/{id}', { params: { path: { id: refund.body.id } } }));
    expect([typed.status, typed.amount, typed.history.at(-1)?.status]).toEqual(['succeeded', 900, 'succeeded']);
    const missing = refunds.GET('/v1/refunds/{id}', { params: { path: { id: 'ref_missing' } } });
    await expect(ok(missing)).rejects.toMatchObject({ status: 404, code: 'refund_not_found' });

    // refusals: bad input, someone else's order, a missing refund, a transition that is not allowed, no token
    await call('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, amount: -1, reason: 'damaged' } });
    await call('refund', 'GET', `/v1/refunds/${refund.body.id}`, { token: tokenFor('customer', 'someone-else') });
    await call('refund', 'GET', '/v1/refunds/ref_missing', { token: admin() });
    await call('refund', 'POST', `/v1/refunds/${refund.body.id}/cancel`, { token: order.token });
    await call('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, amount: 10_000_000, reason: 'damaged' } });
    await call('order', 'GET', `/v1/orders/${order.orderId}`);
    await call('order', 'GET', '/v1/orders/ord_missing', { token: admin() });

    // after delivery: a return received by support, inspected, paid
    const shipped = await paidOrder(client, [{ quantity: 1, unitAmount: 2000 }]);
    await call('order', 'POST', `/v1/orders/${shipped.orderId}/shipments`, { token: support(), body: { carrier: 'dhl', trackingNumber: `TRK-${shipped.orderId}` } });
    await call('order', 'POST', `/v1/orders/${shipped.orderId}/delivery`, { token: support() });
    const returned = await call('refund', 'POST', '/v1/refunds', { token: shipped.token, body: { orderId: shipped.orderId, reason: 'not_as_described' } });
    expect(returned.body.status).toBe('awaiting_return');
    await call('refund', 'POST', `/v1/refunds/${returned.body.id}/return-received`, { token: support() });
    await call('refund', 'POST', `/v1/refunds/${returned.body.id}/inspection`, { token: support(), body: { result: 'passed', note: 'as new' } });

    // an operator's screens
    await call('refund', 'PUT', `/v1/refund-policies/sellers/seller-contract`, { token: admin(), body: { windowDays: 30 } });
    await call('refund', 'GET', `/v1/refund-policies/sellers/seller-contract`, { token: admin() });
    await call('refund', 'GET', `/v1/refund-policies/products/prod-none`, { token: admin() });
    for (const service of ['order', 'payment', 'refund', 'inventory', 'notification'] as const) {
      await call(service, 'GET', '/v1/admin/dead-letters', { token: admin() });
      await call(service, 'GET', '/v1/admin/audit?limit=5', { token: admin() });
      await call(service, 'GET', '/health/ready');
    }
    await call('payment', 'GET', '/v1/admin/provider-refunds?limit=5', { token: admin() });
    await call('payment', 'GET', '/v1/admin/outbound-calls?status=done', { token: admin() });
    await call('notification', 'GET', '/v1/admin/dead-letters/dl_missing', { token: admin() });

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
