import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import amqplib, { type ChannelModel } from 'amqplib';
import { AmqpBroker, assertEventExchange } from '@ebb/messaging';
import { TEST_AMQP_URL, type TestDatabase, freshDatabase, publisherOn, tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import type { OrderMessage } from '@ebb/contracts';
import { Client } from 'pg';
import { REPO_ROOT, WEBHOOK_SECRET, deleteTopology, freePort, orderMessage, startOrderQuery, startSandbox } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();

/** payment-service as its own process (so a crash point can kill it), on a port that survives restarts. */
function startPaymentProcess(env: Record<string, string>): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'apps/payment-service/test/fixture/payment-main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('payment-service: a crash right after the provider refund call', () => {
  const suffix = uniqueSuffix();
  const service = `payments-crash-${suffix}`;
  const exchange = `ebb.test.payments-crash.${suffix}`;
  const orders = new Map<string, OrderMessage>();
  let database: TestDatabase;
  let db: Client;
  let orderQuery: { url: string; stop(): Promise<void> };
  let sandbox: ChildProcess;
  let stripe: Stripe;
  let publisher: AmqpBroker;
  let env: Record<string, string>;
  let appUrl: string;
  let running: ReturnType<typeof startPaymentProcess> | undefined;
  let observer: ChannelModel;
  const refundEvents: { refundId: string; providerRefundId: string }[] = [];

  beforeAll(async () => {
    database = await freshDatabase('payments_crash');
    orderQuery = await startOrderQuery(orders);
    const sandboxPort = await freePort();
    const appPort = await freePort();
    appUrl = `http://127.0.0.1:${appPort}`;
    env = {
      NODE_ENV: 'test',
      TEST_SERVICE_NAME: service,
      PORT: String(appPort),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      EBB_EXCHANGE: exchange,
      ORDER_GRPC_URL: orderQuery.url,
      STRIPE_API_BASE: `http://127.0.0.1:${sandboxPort}`,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      MESSAGE_RETRY_DELAYS_MS: '100,200,400',
      OUTBOX_POLL_MS: '200',
      REFUND_DISPATCH_POLL_MS: '200',
      REFUND_CALL_RETRY_MS: '500',
    };
    sandbox = await startSandbox(sandboxPort, `${appUrl}/v1/webhooks/stripe`);
    stripe = new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: sandboxPort, protocol: 'http', maxNetworkRetries: 0 });
    publisher = new AmqpBroker({ url: TEST_AMQP_URL, exchange, connectionName: `ebb-${service}-publisher` });
    await publisher.waitForConnect();
    observer = await amqplib.connect(TEST_AMQP_URL);
    const channel = await observer.createChannel();
    await assertEventExchange(channel, exchange);
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    await channel.bindQueue(queue, exchange, 'payment.refund_succeeded');
    await channel.consume(queue, (message) => message && refundEvents.push(JSON.parse(message.content.toString())), { noAck: true });
  });

  afterAll(async () => {
    running?.child.kill('SIGTERM');
    await running?.exited;
    sandbox?.kill('SIGTERM');
    await publisher?.close();
    await observer?.close().catch(() => undefined);
    await db?.end().catch(() => undefined);
    await orderQuery?.stop();
    await deleteTopology(service, exchange);
    await database?.drop();
  });

  async function boot(extra: Record<string, string> = {}) {
    running = startPaymentProcess({ ...env, ...extra });
    await waitFor(async () => (await fetch(`${appUrl}/health/ready`)).status === 200, { what: `payment-service to be ready`, timeoutMs: 30000 });
  }

  it('sends the refund again with the same idempotency key after a restart, so the provider pays it once', async () => {
    await boot({ EBB_CRASH_AT: 'payment.after-provider-call' });
    db = new Client({ connectionString: database.url });
    await db.connect();

    const order = orderMessage({ totalAmount: 6000 });
    orders.set(order.id, order);
    const created = await fetch(`${appUrl}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokenFor('service', 'checkout')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ orderId: order.id }),
    });
    expect(created.status).toBe(201);
    const payment = await json(created);
    await stripe.paymentIntents.confirm(payment.providerPaymentId, { payment_method: 'pm_card_visa' });
    await waitFor(async () => (await db.query(`SELECT status FROM payments WHERE id = $1`, [payment.id])).rows[0]?.status === 'succeeded', {
      what: 'the payment to succeed',
    });

    const refundId = `ref_${randomUUID()}`;
    const snapshot = {
      refundId,
      orderId: order.id,
      customerId: order.customerId,
      email: order.email,
      status: 'refunding',
      amount: 2500,
      currency: 'USD',
      reason: 'damaged',
      initiator: 'support',
      shipped: false,
    };
    await publisherOn(publisher)('refund.refunding', snapshot);

    // killed between the provider's answer and recording it: the refund is left requested, its call claimed
    await running!.exited;
    expect(running!.output()).toContain('crash point reached: payment.after-provider-call');
    const left = (await db.query(`SELECT status, attempt, provider_refund_id FROM provider_refunds WHERE refund_id = $1`, [refundId])).rows[0];
    expect(left).toMatchObject({ status: 'requested', attempt: 1 });
    const call = (await db.query(`SELECT status, attempts FROM outbound_calls WHERE kind = 'provider.refund' AND key = $1`, [`${refundId}:1`])).rows[0];
    expect(call).toEqual({ status: 'calling', attempts: 1 });
    expect((await stripe.refunds.list({ payment_intent: payment.providerPaymentId })).data).toHaveLength(1);

    await boot();
    const settled = await waitFor(async () => {
      const row = (await db.query(`SELECT status, provider_refund_id FROM provider_refunds WHERE refund_id = $1`, [refundId])).rows[0];
      return row?.status === 'succeeded' && row;
    }, { what: 'the refund to settle after the restart' });
    // the restarted process did call the provider again (the dispatcher runs before webhooks can come in)
    const metrics = await (await fetch(`${appUrl}/metrics`)).text();
    expect(metrics).toMatch(/^provider_request_duration_seconds_count\{[^}]*operation="refund"[^}]*outcome="ok"[^}]*\} 1$/m);
    const providerRefunds = (await stripe.refunds.list({ payment_intent: payment.providerPaymentId })).data;
    expect(providerRefunds).toHaveLength(1);
    expect(settled.provider_refund_id).toBe(providerRefunds[0].id);
    const [paid] = (await db.query(`SELECT refunded_amount FROM payments WHERE id = $1`, [payment.id])).rows;
    expect(Number(paid.refunded_amount)).toBe(2500);
    await waitFor(() => refundEvents.length > 0, { what: 'payment.refund_succeeded' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(refundEvents).toEqual([expect.objectContaining({ refundId, providerRefundId: providerRefunds[0].id, amount: 2500 })]);
  });
});
