import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient } from '@ebb/api-client';
import { type AttemptInit, ShopClient, folded } from '../shop-client';

interface Seen {
  key?: string;
  body: string;
}

/** A refund-service stand-in answering from a script, one answer per request; `drop` closes the socket. */
async function serve(script: (number | 'drop' | [number, string])[]) {
  const seen: Seen[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      seen.push({ key: request.headers['idempotency-key'] as string | undefined, body });
      const next = script[Math.min(seen.length - 1, script.length - 1)];
      if (next === 'drop') return void request.socket.destroy();
      const [status, code] = Array.isArray(next) ? next : [next, undefined];
      const payload = status < 300 ? { id: 'ref_1' } : { error: { code: code ?? `http_${status}`, message: 'scripted' } };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const refunds = new ApiClient(() => url).typed('refund', 't');
  return { seen, refunds, shop: new ShopClient(() => 5), close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const body = { orderId: 'ord_1', reason: 'other' as const };

describe('the shop’s client', () => {
  it('retries a 503, a dropped connection and a request in progress with the same key and body, until the 201', async () => {
    const world = await serve([503, 'drop', [409, 'request_in_progress'], 201]);
    try {
      const outcome = await world.shop.send('refund', 'POST /v1/refunds', (init) => world.refunds.POST('/v1/refunds', { body, ...init }));
      expect(outcome).toMatchObject({ ok: true, attempts: 4, answer: { status: 201, body: { id: 'ref_1' } } });
      expect(new Set(world.seen.map((s) => s.key)).size).toBe(1);
      expect(world.seen[0].key).toMatch(/^chaos-/);
      expect(new Set(world.seen.map((s) => s.body))).toEqual(new Set([JSON.stringify({ orderId: 'ord_1', reason: 'other' })]));
      expect(world.shop.stats).toMatchObject({ calls: 1, attempts: 4, retries: { http_503: 1, network: 1, request_in_progress: 1 }, serverErrors: { 'refund 503 http_503': 1 } });
    } finally {
      await world.close();
    }
  });

  it('gives up on any other 4xx at once and counts it by route and code', async () => {
    const world = await serve([[422, 'amount_exceeds_refundable']]);
    try {
      const outcome = await world.shop.send('refund', 'POST /v1/refunds', (init) => world.refunds.POST('/v1/refunds', { body, ...init }));
      expect(outcome).toMatchObject({ ok: false, attempts: 1, answer: { status: 422, body: { error: { code: 'amount_exceeds_refundable' } } } });
      expect(world.shop.stats.refusals).toEqual({ 'POST /v1/refunds 422 amount_exceeds_refundable': 1 });
    } finally {
      await world.close();
    }
  });

  it('stops repeating a refund_in_progress the store keeps under the key, and says so', async () => {
    const world = await serve([[409, 'refund_in_progress']]);
    try {
      const outcome = await world.shop.send('refund', 'POST /v1/refunds', (init) => world.refunds.POST('/v1/refunds', { body, ...init }));
      expect(outcome).toMatchObject({ ok: false, attempts: 9 });
      expect(Object.keys(world.shop.stats.refusals)).toEqual(['POST /v1/refunds 409 refund_in_progress (kept under the key: 9 identical answers)']);
    } finally {
      await world.close();
    }
  });

  it('abandons a call whose budget runs out, and sends a GET without a key', async () => {
    const world = await serve([503]);
    try {
      const read = (init: AttemptInit) => world.refunds.GET('/v1/refunds/{id}', { params: { path: { id: 'ref_1' } }, ...init });
      const outcome = await world.shop.send('refund', 'GET /v1/refunds/:id', read, 300);
      expect(outcome.ok).toBe(false);
      expect(world.seen[0].key).toBeUndefined();
      expect(world.shop.stats.abandoned).toEqual({ 'GET /v1/refunds/:id': 1 });
    } finally {
      await world.close();
    }
  });

  it('folds repeated retry reasons', () => {
    expect(folded(['network', 'network', 'http_503', 'network'])).toBe('network ×2, http_503, network');
  });
});
