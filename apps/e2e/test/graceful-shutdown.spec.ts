import { ok } from '@ebb/api-client';
import { TestPlatform, waitFor } from '@ebb/testing';
import { Client, admin, paidOrder, refundReaches } from './client';

const GRACE_MS = 8000;

describe('a service stopped with SIGTERM during a burst of refunds', () => {
  let platform: TestPlatform;
  let client: Client;

  beforeAll(async () => {
    platform = await TestPlatform.start(undefined, { refund: { SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'info' } });
    client = new Client(platform);
  }, 120000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('exits within its grace period and loses no refund: the ledger agrees everywhere after a restart', async () => {
    const orders = [];
    for (let i = 0; i < 6; i++) orders.push(await paidOrder(client, [{ quantity: 1, unitAmount: 3000 }]));

    // a burst of partial refunds, with SIGTERM landing in the middle of it
    const burst = orders.flatMap((order) =>
      Array.from({ length: 5 }, (_, index) =>
        new Promise((resolve) => setTimeout(resolve, index * 15)).then(() =>
          client
            .typed('refund', order.token)
            .POST('/v1/refunds', { body: { orderId: order.orderId, amount: 200, reason: 'goodwill' } })
            .catch(() => undefined),
        ),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stopping = Date.now();
    const exit = await platform.kill('refund', 'SIGTERM');
    const took = Date.now() - stopping;
    await Promise.all(burst);
    // Nest closes the app on SIGTERM (HTTP server, consumers, relay flush, connections), then re-raises
    // the signal; our own guard would have exited with code 1 had the grace period run out
    expect(exit).toMatchObject({ code: null, signal: 'SIGTERM' });
    expect(exit?.output).toContain('SIGTERM received: no new requests or messages');
    expect(took).toBeLessThan(GRACE_MS);

    await platform.startApp('refund', { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    for (const order of orders) {
      // every refund the service kept (accepted before it stopped) finishes; none is half done
      const listed = await ok(client.typed('refund', admin()).GET('/v1/refunds', { params: { query: { orderId: order.orderId } } }));
      for (const refund of listed.items) await refundReaches(client, refund.id, ['succeeded'], admin(), 30000);
      const refunded = listed.items.length * 200;
      await waitFor(
        async () => (await ok(client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }))).refundedAmount === refunded,
        { what: `order ${order.orderId} to count ${refunded}`, timeoutMs: 20000 },
      );
      const payment = await ok(client.typed('payment', order.token).GET('/v1/payments/{id}', { params: { path: { id: order.paymentId } } }));
      expect(payment.refundedAmount).toBe(refunded);
      const provider = await client.stripe().refunds.list({ payment_intent: order.providerPaymentId, limit: 100 });
      expect(provider.data.filter((refund) => refund.status === 'succeeded').reduce((sum, refund) => sum + refund.amount, 0)).toBe(refunded);
    }
  });
});
