import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_PORTS } from '@ebb/contracts';
import { ApiClient, ApiError, checkout, ok, serviceUrl } from '../src';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP server on a free port: `answer` replies to each request, and every request is kept. */
async function serve(answer: (request: Received, response: ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const kept = { method: request.method!, url: request.url!, headers: request.headers, body };
      received.push(kept);
      answer(kept, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

const json = (response: ServerResponse, status: number, body: unknown) =>
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

describe('the API client', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let api: ApiClient;

  beforeAll(async () => {
    server = await serve((request, response) => {
      if (request.url === '/text') return void response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
      if (request.url === '/empty') return void response.writeHead(204).end();
      if (request.url === '/refused') return void json(response, 422, { error: { code: 'amount_exceeds_refundable', message: 'too much' } });
      if (request.url === '/declined') return void json(response, 402, { error: { type: 'card_error', message: 'declined' } });
      json(response, request.method === 'POST' ? 201 : 200, { ok: true });
    });
    api = new ApiClient(() => server.url);
  });

  afterAll(() => server.close());

  it('returns a JSON body parsed, a body that is not JSON as its text, and no body as undefined', async () => {
    expect(await api.request('order', 'GET', '/json')).toEqual({ status: 200, body: { ok: true } });
    expect(await api.request('order', 'GET', '/text')).toEqual({ status: 502, body: '<h1>Bad gateway</h1>' });
    expect(await api.request('order', 'DELETE', '/empty')).toEqual({ status: 204, body: undefined });
  });

  it('sends the bearer token, extra headers and a JSON body', async () => {
    await api.request('refund', 'POST', '/v1/refunds', { token: 'tok', body: { orderId: 'ord_1' }, headers: { 'idempotency-key': 'k1' } });
    const [sent] = server.received.slice(-1);
    expect(sent).toMatchObject({ method: 'POST', url: '/v1/refunds', body: '{"orderId":"ord_1"}' });
    expect(sent.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json', 'idempotency-key': 'k1' });
  });

  it('sends a raw body as it is, labelled JSON, and no content type without a body', async () => {
    await api.request('refund', 'POST', '/v1/refunds', { raw: '{"orderId": ' });
    expect(server.received.at(-1)).toMatchObject({ body: '{"orderId": ', headers: { 'content-type': 'application/json' } });
    await api.request('refund', 'GET', '/v1/refunds');
    expect(server.received.at(-1)!.headers).not.toHaveProperty('content-type');
    expect(server.received.at(-1)!.headers).not.toHaveProperty('authorization');
  });

  it('form-encodes a body for the provider’s Stripe-style endpoints', async () => {
    await api.request('sandbox', 'POST', '/v1/payment_intents/pi_1/confirm', { token: 'sk_test', form: { payment_method: 'pm_card_visa', 'metadata[refundId]': 'ref 1' } });
    expect(server.received.at(-1)).toMatchObject({
      body: 'payment_method=pm_card_visa&metadata%5BrefundId%5D=ref+1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer sk_test' },
    });
  });

  it('returns the body of a 2xx from call, and throws an ApiError with the API’s error code otherwise', async () => {
    expect(await api.call('payment', 'POST', '/v1/payments', { body: {} })).toEqual({ ok: true });
    const refused = await api.call('refund', 'POST', '/refused', { body: {} }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 422, code: 'amount_exceeds_refundable', message: 'POST refund/refused → 422 amount_exceeds_refundable' });
    await expect(api.call('sandbox', 'POST', '/declined', { form: {} })).rejects.toMatchObject({ status: 402, code: 'card_error' });
    await expect(api.call('order', 'GET', '/text')).rejects.toMatchObject({ status: 502, code: 'http_502' });
  });

  it('sends a typed call to the service at this client’s URL, with the token, the Idempotency-Key and the query the document names', async () => {
    const refunds = api.typed('refund', 'tok');
    const { data, response } = await refunds.POST('/v1/refunds', {
      body: { orderId: 'ord_1', reason: 'damaged' },
      params: { header: { 'Idempotency-Key': 'k2' } },
    });
    expect([response.status, data]).toEqual([201, { ok: true }]);
    expect(server.received.at(-1)).toMatchObject({ method: 'POST', url: '/v1/refunds', body: '{"orderId":"ord_1","reason":"damaged"}' });
    expect(server.received.at(-1)!.headers).toMatchObject({ authorization: 'Bearer tok', 'idempotency-key': 'k2' });
    await refunds.GET('/v1/refunds', { params: { query: { orderId: 'ord 1', limit: 200 } } });
    expect(server.received.at(-1)!.url).toBe('/v1/refunds?orderId=ord%201&limit=200');
    await expect(ok(api.typed('refund').POST('/refused' as '/v1/refunds', { body: { orderId: 'o', reason: 'damaged' } }))).rejects.toMatchObject({
      status: 422,
      code: 'amount_exceeds_refundable',
    });
  });

  it('finds a service at its URL variable when set, else at its default port', () => {
    const saved = process.env.REFUND_URL;
    try {
      delete process.env.REFUND_URL;
      expect(serviceUrl('refund')).toBe(`http://127.0.0.1:${DEFAULT_PORTS.refund}`);
      process.env.REFUND_URL = 'http://refunds.internal:8080';
      expect(serviceUrl('refund')).toBe('http://refunds.internal:8080');
      expect(new ApiClient().baseUrl('refund')).toBe('http://refunds.internal:8080');
    } finally {
      if (saved === undefined) delete process.env.REFUND_URL;
      else process.env.REFUND_URL = saved;
    }
  });
});

describe('checkout', () => {
  const order = { customerId: 'cust-1', email: 'c@example.com', currency: 'EUR', items: [{ productId: 'p1', sku: 'S1', quantity: 1, unitAmount: 1000 }] };

  /** order-service, payment-service and the provider in one: the order is captured on the third read. */
  async function shop(confirmStatus = 200) {
    let reads = 0;
    return serve((request, response) => {
      if (request.url === '/v1/orders') return void json(response, 201, { id: 'ord_1', totalAmount: 1000 });
      if (request.url === '/v1/payments') return void json(response, 201, { id: 'pay_1', providerPaymentId: 'pi_1' });
      if (request.url === '/v1/payment_intents/pi_1/confirm') return void json(response, confirmStatus, confirmStatus === 200 ? { status: 'succeeded' } : { error: { type: 'card_error' } });
      json(response, 200, { id: 'ord_1', paymentStatus: ++reads >= 3 ? 'captured' : 'pending' });
    });
  }

  it('places the order, opens the payment, confirms the card at the provider and waits for the capture', async () => {
    const server = await shop();
    try {
      const paid = await checkout(new ApiClient(() => server.url), 'cust-token', order);
      expect(paid).toEqual({ orderId: 'ord_1', totalAmount: 1000, paymentId: 'pay_1', providerPaymentId: 'pi_1' });
      expect(server.received.map((r) => `${r.method} ${r.url} ${r.body}`)).toEqual([
        `POST /v1/orders ${JSON.stringify(order)}`,
        'POST /v1/payments {"orderId":"ord_1"}',
        'POST /v1/payment_intents/pi_1/confirm payment_method=pm_card_visa',
        'GET /v1/orders/ord_1 ',
        'GET /v1/orders/ord_1 ',
        'GET /v1/orders/ord_1 ',
      ]);
      expect(server.received[2].headers).toMatchObject({ authorization: 'Bearer sk_test_ebb_local', 'content-type': 'application/x-www-form-urlencoded' });
      expect(server.received[3].headers.authorization).toBe('Bearer cust-token');
    } finally {
      await server.close();
    }
  });

  it('with a card meant to be declined, takes the refusal and does not wait for a capture', async () => {
    const server = await shop(402);
    try {
      const api = new ApiClient(() => server.url);
      await expect(checkout(api, 'cust-token', order, { paymentMethod: 'pm_card_chargeDeclined' })).rejects.toMatchObject({ code: 'card_error' });
      const paid = await checkout(api, 'cust-token', order, { paymentMethod: 'pm_card_chargeDeclined', waitForCapture: false });
      expect(paid.paymentId).toBe('pay_1');
      expect(server.received.filter((r) => r.method === 'GET')).toHaveLength(0);
    } finally {
      await server.close();
    }
  });
});
