import { createSign, randomUUID } from 'node:crypto';
import { sandboxKeys } from '@ebb/config';
import { sleep, tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();
const refundIdOf = () => `ref_${randomUUID().replace(/-/g, '')}`;

/**
 * WeChat Pay v3 end to end: payment-service's adapter against the sandbox's API (WECHATPAY2-SHA256-
 * RSA2048 requests, platform-signed answers), the customer scanning the code_url, notifications
 * signed by the platform with their resource in AES-256-GCM, refunds in fen settled asynchronously.
 */
describe('payment-service: WeChat Pay through the sandbox', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start());
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  const merchantTool = () => world.wechatpayDashboard();

  async function paidOrder(totalAmount = 9900, payer?: string) {
    const order = world.addOrder({ currency: 'CNY', totalAmount });
    const response = await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'wechatpay' }) });
    expect(response.status).toBe(201);
    const payment = await json(response);
    const scanned = await world.sandboxCall('POST', '/__sandbox/wechatpay/scan', { codeUrl: payment.qrCode, ...(payer ? { payer } : {}) });
    expect(scanned.status).toBe(200);
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }
  const row = async (refundId: string) =>
    (await world.dataSource.query(`SELECT status, attempt, provider_refund_id, failure_reason, amount FROM provider_refunds WHERE refund_id = $1`, [refundId]))[0];

  it('takes a payment: a Native order in fen, its code_url scanned, paid on the decrypted TRANSACTION.SUCCESS', async () => {
    const order = world.addOrder({ currency: 'CNY', totalAmount: 4321 });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'wechatpay' }) }));
    expect(payment).toMatchObject({ provider: 'wechatpay', providerPaymentId: payment.id.replace(/^pay_/, ''), status: 'pending', amount: 4321, qrCode: expect.stringMatching(/^weixin:\/\/wxpay\/bizpayurl\?pr=/) });
    expect(await merchantTool().lookupPayment(payment.providerPaymentId)).toEqual({ providerPaymentId: payment.providerPaymentId, status: 'pending', amount: 0, currency: 'CNY' });

    await world.sandboxCall('POST', '/__sandbox/wechatpay/scan', { codeUrl: payment.qrCode });
    const event = await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    expect(event.payload).toMatchObject({ orderId: order.id, provider: 'wechatpay', providerPaymentId: payment.providerPaymentId, amount: 4321, currency: 'CNY' });
    expect(await merchantTool().lookupPayment(payment.providerPaymentId)).toMatchObject({ status: 'succeeded', amount: 4321 });
  });

  it('refunds part, then the rest: PROCESSING at first, settled by REFUND.SUCCESS notifications', async () => {
    const { order, payment } = await paidOrder(9900);
    const partial = refundIdOf();
    await world.publishRefunding({ refundId: partial, orderId: order.id, amount: 1900, currency: 'CNY' });
    await waitFor(async () => (await row(partial))?.status === 'pending' || (await row(partial))?.status === 'succeeded', { what: 'the refund accepted' });
    const first = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === partial);
    expect(first.payload).toMatchObject({ amount: 1900, currency: 'CNY', providerRefundId: expect.stringMatching(new RegExp(`^5030\\d+/${partial}-1$`)) });

    const rest = refundIdOf();
    await world.publishRefunding({ refundId: rest, orderId: order.id, amount: 8000, currency: 'CNY' });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === rest);
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view).toMatchObject({ capturedAmount: 9900, refundedAmount: 9900 });
    expect(await merchantTool().findRefund({ providerPaymentId: payment.providerPaymentId, refundId: rest, attempt: 1 })).toMatchObject({ status: 'succeeded', amount: 8000 });
  });

  it('reports a refund WeChat Pay ends ABNORMAL (the payer’s card is gone) as failed', async () => {
    const { order } = await paidOrder(3000, 'oSandboxAbnormalRefunds');
    const refundId = refundIdOf();
    await world.publishRefunding({ refundId, orderId: order.id, amount: 3000, currency: 'CNY' });
    const failed = await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
    expect(failed.payload.reason).toBe('refund_abnormal');
    expect(await row(refundId)).toMatchObject({ status: 'failed', failure_reason: 'refund_abnormal' });
  });

  it('learns a refund’s outcome by asking WeChat Pay when its notification is lost: POST /v1/admin/provider-refunds/:refundId/sync', async () => {
    const { order } = await paidOrder(4000);
    await world.faults({ dropWebhooks: true });
    const refundId = refundIdOf();
    await world.publishRefunding({ refundId, orderId: order.id, amount: 4000, currency: 'CNY' });
    await waitFor(async () => (await row(refundId))?.status === 'pending', { what: 'the refund accepted, PROCESSING' });
    await waitFor(async () => (await world.notifications(`${refundId}-1`))[0]?.status === 'dropped', { what: 'its notification lost' });
    const synced = await world.api(`/v1/admin/provider-refunds/${refundId}/sync`, { method: 'POST', token: tokenFor('admin', 'ops-1') });
    expect(synced.status).toBe(200);
    expect(await json(synced)).toMatchObject({ refund: { status: 'succeeded', provider: 'wechatpay' }, provider: { status: 'succeeded' } });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === refundId);
  });

  it('settles a refund from a notification that arrives late and twice, once', async () => {
    const { order } = await paidOrder(5000);
    await world.faults({ duplicateWebhooks: true, notifyDelayMs: 600 });
    const refundId = refundIdOf();
    await world.publishRefunding({ refundId, orderId: order.id, amount: 2500, currency: 'CNY' });
    await waitFor(async () => {
      const sent = await world.notifications(`${refundId}-1`);
      return sent.length === 2 && sent.every((n) => n.status === 'delivered');
    }, { what: 'both copies of REFUND.SUCCESS delivered' });
    await sleep(300);
    expect(world.eventsOf('payment.refund_succeeded', (p) => p.refundId === refundId)).toHaveLength(1);
    expect(await row(refundId)).toMatchObject({ status: 'succeeded' });
  });

  it('refuses notifications whose signature, serial, time or resource does not hold, with 400, recording nothing', async () => {
    const { payment } = await paidOrder(1200);
    const before = (await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events`))[0].n;
    const keys = sandboxKeys().wechatpay;
    const body = JSON.stringify({ id: randomUUID(), create_time: '2026-12-07T10:00:00+08:00', resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', ciphertext: 'AAAAAAAAAAAAAAAAAAAAAAAA', nonce: 'abcdefghijkl', associated_data: 'transaction' } });
    const signed = (text: string, timestamp = String(Math.floor(Date.now() / 1000)), serial = keys.platformPublicKeyId) => {
      const nonce = randomUUID().replace(/-/g, '');
      const signature = createSign('RSA-SHA256').update(`${timestamp}\n${nonce}\n${text}\n`).sign(keys.platformPrivateKey, 'base64');
      return { 'wechatpay-timestamp': timestamp, 'wechatpay-nonce': nonce, 'wechatpay-signature': signature, 'wechatpay-serial': serial, 'content-type': 'application/json' };
    };
    const post = (text: string, headers: Record<string, string>) => fetch(`${world.app.url}/v1/webhooks/wechatpay`, { method: 'POST', headers, body: text });
    const codes = async (response: Response) => [response.status, (await json(response)).error.code];
    // signed, then the body changed
    expect(await codes(await post(body.replace('支付成功', '支付失败'), signed(body)))).toEqual([400, 'invalid_signature']);
    // signed by the platform key, but an hour old (a replay)
    expect(await codes(await post(body, signed(body, String(Math.floor(Date.now() / 1000) - 3600))))).toEqual([400, 'invalid_signature']);
    // another key id than the one we hold
    expect(await codes(await post(body, signed(body, undefined, 'PUB_KEY_ID_SOMEONE_ELSE')))).toEqual([400, 'invalid_signature']);
    // correctly signed, but its resource was not encrypted with our APIv3 key
    expect(await codes(await post(body, signed(body)))).toEqual([400, 'invalid_signature']);
    expect((await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events`))[0].n).toBe(before);
    expect(world.eventsOf('payment.succeeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
  });

  it('records a refund made at WeChat Pay outside Ebb from its notification, once', async () => {
    const { order, payment } = await paidOrder(8000);
    const made = await merchantTool().refund({
      refundId: `dashboard_${randomUUID().slice(0, 8)}`,
      attempt: 1,
      providerPaymentId: payment.providerPaymentId,
      amount: 2000,
      currency: 'CNY',
      paymentAmount: 8000,
      idempotencyKey: 'unused',
    });
    const event = await world.waitForEvent('payment.refunded_outside_ebb', (p) => p.paymentId === payment.id);
    expect(event.payload).toMatchObject({ orderId: order.id, provider: 'wechatpay', providerRefundId: made.providerRefundId, amount: 2000, capturedAmount: 8000, detectedBy: 'webhook' });
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view.refundedAmount).toBe(2000);
    expect(world.eventsOf('payment.refunded_outside_ebb', (p) => p.paymentId === payment.id)).toHaveLength(1);
  });
});
