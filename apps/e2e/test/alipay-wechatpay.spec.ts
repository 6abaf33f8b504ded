import { createHash, randomUUID } from 'node:crypto';
import { ok } from '@ebb/api-client';
import { tokenFor, waitFor } from '@ebb/testing';
import { type Client, admin, paidOrder, platformForTests, refundReaches } from './client';

/** A customer's order in CNY paid by scanning the code Alipay or WeChat Pay shows, through the public API and the sandbox. */
async function paidInChina(client: Client, provider: 'alipay' | 'wechatpay', unitAmount: number) {
  const run = randomUUID().slice(0, 8);
  const token = tokenFor('customer', `cust-${run}`);
  const line = { productId: `prod-${run}`, sku: `SKU-${run}`, quantity: 1, unitAmount };
  const inventory = client.typed('inventory', admin());
  await ok(inventory.POST('/v1/products', { body: { id: line.productId, sellerId: 'seller-e2e', title: 'Tea', description: 'e2e' } }));
  await ok(inventory.PUT('/v1/stock/{sku}', { params: { path: { sku: line.sku } }, body: { productId: line.productId, onHand: 10 } }));
  const orders = client.typed('order', token);
  const order = await ok(orders.POST('/v1/orders', { body: { customerId: `cust-${run}`, email: `buyer-${run}@example.com`, currency: 'CNY', items: [line] } }));
  const payment = await ok(client.typed('payment', token).POST('/v1/payments', { body: { orderId: order.id, provider } }));
  // the customer's scan is the sandbox's stand-in for the wallet app, outside the public API: sent raw
  const scanned =
    provider === 'alipay'
      ? await client.request('sandbox', 'POST', '/__sandbox/alipay/scan', { body: { qrCode: payment.qrCode } })
      : await client.request('sandbox', 'POST', '/__sandbox/wechatpay/scan', { body: { codeUrl: payment.qrCode } });
  expect(scanned.status).toBe(200);
  await waitFor(async () => (await ok(orders.GET('/v1/orders/{id}', { params: { path: { id: order.id } } }))).paymentStatus === 'captured', {
    what: `order ${order.id} captured`,
  });
  return { orderId: order.id, token, payment };
}

describe('Alipay, WeChat Pay, refunds outside Ebb and vouchers (all six services)', () => {
  const world = platformForTests();
  const orderOf = (id: string) => ok(world.client.typed('order', admin()).GET('/v1/orders/{id}', { params: { path: { id } } }));

  for (const provider of ['alipay', 'wechatpay'] as const) {
    it(`pays with ${provider}, refunds part and then the rest, and keeps a voucher of each refund`, async () => {
      const order = await paidInChina(world.client, provider, 16800);
      const refunds = world.client.typed('refund', order.token);
      const partial = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 6800, reason: 'damaged' } });
      expect(partial.response.status).toBe(201);
      const partialId = partial.data!.id;
      const first = await refundReaches(world.client, partialId, ['succeeded'], admin(), 30_000);
      expect(first.providerRefundId).toMatch(new RegExp(`/${partialId}-1$`));
      await waitFor(async () => (await orderOf(order.orderId)).paymentStatus === 'partially_refunded', { what: 'the order partly refunded' });
      const rest = await ok(refunds.POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'damaged' } }));
      expect(rest.amount).toBe(10000);
      await refundReaches(world.client, rest.id, ['succeeded'], admin(), 30_000);
      await waitFor(async () => (await orderOf(order.orderId)).paymentStatus === 'refunded', { what: 'the order refunded' });
      expect(await orderOf(order.orderId)).toMatchObject({ capturedAmount: 16800, refundedAmount: 16800 });
      // each refund's voucher: fetched through its short-lived URL, its hash the one kept with the refund
      const withVoucher = await waitFor(async () => {
        const refund = await ok(refunds.GET('/v1/refunds/{id}', { params: { path: { id: partialId } } }));
        return refund.voucher;
      }, { what: 'the voucher stored', timeoutMs: 30_000 });
      const document = Buffer.from(await (await fetch(withVoucher.url)).arrayBuffer());
      expect(createHash('sha256').update(document).digest('hex')).toBe(withVoucher.sha256);
    });
  }

  it('counts a refund made at Stripe outside Ebb on the order and in the refund ledger: Ebb never refunds that money again', async () => {
    const order = await paidOrder(world.client, [{ quantity: 1, unitAmount: 4000 }]);
    // someone refunds 15.00 in the provider's dashboard
    await world.client.stripe().refunds.create({ payment_intent: order.providerPaymentId, amount: 1500 });
    const flagged = await waitFor(async () => {
      const current = await orderOf(order.orderId);
      return current.supportFlags?.length && current;
    }, { what: 'the order flagged for support', timeoutMs: 30_000 });
    expect(flagged).toMatchObject({ refundedAmount: 1500, paymentStatus: 'partially_refunded', supportFlags: [{ kind: 'refunded_outside_ebb', amount: 1500, currency: 'EUR' }] });
    const recorded = (await ok(world.client.typed('refund', admin()).GET('/v1/refunds', { params: { query: { orderId: order.orderId } } }))).items;
    expect(recorded).toEqual([expect.objectContaining({ status: 'succeeded', amount: 1500, initiator: 'system', providerRefundId: expect.stringMatching(/^re_/) })]);

    // the ledger counts it: only 25.00 is left to refund
    const refunds = world.client.typed('refund', order.token);
    const tooMuch = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 3000, reason: 'damaged' } });
    expect([tooMuch.response.status, tooMuch.error?.error.code]).toEqual([422, 'amount_exceeds_refundable']);
    const rest = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, reason: 'damaged' } });
    expect([rest.response.status, rest.data?.amount]).toEqual([201, 2500]);
    await refundReaches(world.client, rest.data!.id, ['succeeded'], admin(), 30_000);
    await waitFor(async () => (await orderOf(order.orderId)).paymentStatus === 'refunded', { what: 'the order refunded' });
    expect(await orderOf(order.orderId)).toMatchObject({ capturedAmount: 4000, refundedAmount: 4000 });
    const more = await refunds.POST('/v1/refunds', { body: { orderId: order.orderId, amount: 1, reason: 'damaged' } });
    expect([more.response.status, more.error?.error.code]).toEqual([422, 'amount_exceeds_refundable']);
    // and the provider holds exactly what was captured, refunded once
    const atStripe = await world.client.stripe().refunds.list({ payment_intent: order.providerPaymentId });
    expect(atStripe.data.reduce((sum, refund) => sum + refund.amount, 0)).toBe(4000);
  });
});
