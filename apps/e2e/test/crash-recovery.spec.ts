import { ok } from '@ebb/api-client';
import { TestPlatform, waitFor } from '@ebb/testing';
import { Client, admin, paidOrder, refundReaches } from './client';

// Each crash needs its own platform: the crash point is armed in one service's environment.
describe('a service killed in the middle of a refund', () => {
  let platform: TestPlatform;
  let client: Client;

  afterEach(async () => {
    await platform?.stop();
  });

  async function providerRefunds(providerPaymentId: string) {
    return (await client.stripe().refunds.list({ payment_intent: providerPaymentId, limit: 100 })).data;
  }

  it('completes a refund exactly once when refund-service dies after approval, before the provider is called', async () => {
    platform = await TestPlatform.start();
    client = new Client(platform);
    const order = await paidOrder(client, [{ quantity: 1, unitAmount: 3000 }]);
    // armed only now: the refund's events are committed, and the process dies before relaying them
    await platform.kill('refund', 'SIGTERM');
    await platform.startApp('refund', { EBB_CRASH_AT: 'relay.before-publish' });
    // the process may die before its answer is written: the caller then learns the refund from the list
    const answer = await client
      .typed('refund', order.token)
      .POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'damaged' } })
      .catch(() => undefined);
    expect(await platform.exited('refund')).toMatchObject({ signal: 'SIGKILL' });
    expect(await providerRefunds(order.providerPaymentId)).toHaveLength(0);

    await platform.kill('refund');
    await platform.startApp('refund');
    const listed = await ok(client.typed('refund', admin()).GET('/v1/refunds', { params: { query: { orderId: order.orderId } } }));
    expect(listed.items).toHaveLength(1);
    const id = listed.items[0].id;
    if (answer?.data) expect(answer.data.id).toBe(id);
    const refund = await refundReaches(client, id, ['succeeded', 'failed'], order.token);
    expect(refund.status).toBe('succeeded');
    expect(await providerRefunds(order.providerPaymentId)).toHaveLength(1);
  });

  it('completes a refund exactly once when payment-service dies after the provider call, before recording it', async () => {
    platform = await TestPlatform.start();
    client = new Client(platform);
    const order = await paidOrder(client, [{ quantity: 1, unitAmount: 3000 }]);
    await platform.kill('payment', 'SIGTERM');
    await platform.startApp('payment', { EBB_CRASH_AT: 'payment.after-provider-call' });
    const accepted = await client.typed('refund', order.token).POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'damaged' } });
    expect(accepted.response.status).toBe(201);
    expect(await platform.exited('payment')).toMatchObject({ signal: 'SIGKILL' });
    // the provider has the refund; payment-service never recorded it
    expect(await providerRefunds(order.providerPaymentId)).toHaveLength(1);

    await platform.kill('payment');
    await platform.startApp('payment');
    const refund = await refundReaches(client, accepted.data!.id, ['succeeded', 'failed'], order.token, 30000);
    expect(refund.status).toBe('succeeded');
    expect(await providerRefunds(order.providerPaymentId)).toHaveLength(1);
    const orderNow = () => ok(client.typed('order', order.token).GET('/v1/orders/{id}', { params: { path: { id: order.orderId } } }));
    await waitFor(async () => (await orderNow()).refundedAmount === 3000, {
      what: 'the order to count the refund once',
    });
  });
});
