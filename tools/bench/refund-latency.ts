// `npm run bench:refund-latency -- --refunds 100` (against a running `npm start`): the time from a refund
// request to `succeeded` on the happy path (unshipped order, card payment), one refund at a time.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET } from '@ebb/config';
import { signToken } from '@ebb/http';

const { values } = parseArgs({ options: { refunds: { type: 'string', default: '100' } } });
const count = Number(values.refunds);
const secret = process.env.EBB_JWT_SECRET ?? DEV_JWT_SECRET;
const admin = signToken({ sub: 'bench', role: 'admin' }, secret);
const url = (port: number) => `http://127.0.0.1:${port}`;

async function call(method: string, target: string, token: string | undefined, body?: unknown, form?: string): Promise<any> {
  const response = await fetch(target, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json',
    },
    body: form ?? (body ? JSON.stringify(body) : undefined),
  });
  const parsed = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${method} ${target} → ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

async function until<T>(probe: () => Promise<T | false>): Promise<T> {
  for (let i = 0; i < 2000; i++) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('timed out');
}

async function main() {
  const run = randomUUID().slice(0, 8);
  await call('POST', `${url(3004)}/v1/products`, admin, { id: `bench-${run}`, sellerId: 'bench', title: 'Bench', description: 'bench' });
  await call('PUT', `${url(3004)}/v1/stock/BENCH-${run}`, admin, { productId: `bench-${run}`, onHand: count * 2 });
  const clientSide: number[] = [];
  const serverSide: number[] = [];
  for (let i = 0; i < count; i++) {
    const customerId = `bench-${run}-${i}`;
    const token = signToken({ sub: customerId, role: 'customer' }, secret);
    const order = await call('POST', `${url(3001)}/v1/orders`, token, {
      customerId, email: `${customerId}@example.com`, currency: 'EUR',
      items: [{ productId: `bench-${run}`, sku: `BENCH-${run}`, quantity: 1, unitAmount: 1000 }],
    });
    const payment = await call('POST', `${url(3002)}/v1/payments`, token, { orderId: order.id });
    await call('POST', `${url(4010)}/v1/payment_intents/${payment.providerPaymentId}/confirm`, 'sk_test_ebb_local', undefined, 'payment_method=pm_card_visa');
    await until(async () => (await call('GET', `${url(3001)}/v1/orders/${order.id}`, token)).paymentStatus === 'captured');
    const started = performance.now();
    const refund = await call('POST', `${url(3003)}/v1/refunds`, token, { orderId: order.id, reason: 'requested_by_customer' });
    const done = await until(async () => {
      const current = await call('GET', `${url(3003)}/v1/refunds/${refund.id}`, token);
      return current.status === 'succeeded' && current;
    });
    clientSide.push(performance.now() - started);
    const at = (status: string) => Date.parse(done.history.find((entry: { status: string }) => entry.status === status).at);
    serverSide.push(at('succeeded') - at('requested'));
    process.stdout.write(`\r${i + 1}/${count}`);
  }
  const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
  console.log(`\nrefund request → succeeded over ${count} refunds (client, polling every 5 ms): p50 ${p(clientSide, 0.5).toFixed(0)} ms, p95 ${p(clientSide, 0.95).toFixed(0)} ms, max ${Math.max(...clientSide).toFixed(0)} ms`);
  console.log(`history requested → succeeded (server clocks): p50 ${p(serverSide, 0.5)} ms, p95 ${p(serverSide, 0.95)} ms`);
}

main().catch((error) => {
  console.error(error.message);
  process.exit(1);
});
