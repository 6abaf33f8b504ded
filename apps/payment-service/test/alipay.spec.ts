import { createSign, randomUUID } from 'node:crypto';
import { sandboxKeys } from '@ebb/config';
import { sleep, tokenFor, waitFor } from '@ebb/testing';
import { PaymentWorld } from './payment-world';

const json = async (response: Response): Promise<any> => response.json();

/**
 * Alipay end to end: payment-service's adapter (the official alipay-sdk, RSA2 both ways) against the
 * sandbox's gateway, the customer scanning the code, the asynchronous notifications verified and
 * recorded once, refunds in yuan strings converted to and from fen.
 */
describe('payment-service: Alipay through the sandbox', () => {
  const world = new PaymentWorld();
  const customer = tokenFor('customer', 'cus-1');

  beforeAll(() => world.start());
  afterAll(() => world.stop());
  afterEach(() => world.faults({}));

  const dashboard = () => world.alipayDashboard();

  async function paidOrder(totalAmount = 12345, buyer?: string) {
    const order = world.addOrder({ currency: 'CNY', totalAmount });
    const response = await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'alipay' }) });
    expect(response.status).toBe(201);
    const payment = await json(response);
    const scanned = await world.sandboxCall('POST', '/__sandbox/alipay/scan', { qrCode: payment.qrCode, ...(buyer ? { buyer } : {}) });
    expect(scanned.status).toBe(200);
    await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    return { order, payment };
  }
  const row = async (refundId: string) =>
    (await world.dataSource.query(`SELECT status, attempt, provider_refund_id, failure_reason, amount FROM provider_refunds WHERE refund_id = $1`, [refundId]))[0];

  it('takes a payment: a precreated trade in yuan, its QR code scanned, paid on the verified notification', async () => {
    const order = world.addOrder({ currency: 'CNY', totalAmount: 12345 });
    const response = await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'alipay' }) });
    const payment = await json(response);
    expect(payment).toMatchObject({ provider: 'alipay', providerPaymentId: payment.id, status: 'pending', amount: 12345, currency: 'CNY', qrCode: expect.stringMatching(/^https:\/\/qr\.alipay\.com\//) });
    // asked again, the same code: one trade at Alipay
    const again = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'alipay' }) }));
    expect(again.qrCode).toBe(payment.qrCode);
    // at Alipay the amount is the yuan string 123.45
    const trade = await dashboard().exec('alipay.trade.query', { bizContent: { out_trade_no: payment.id } }, { validateSign: true });
    expect(trade).toMatchObject({ code: '10000', trade_status: 'WAIT_BUYER_PAY', total_amount: '123.45' });

    await world.sandboxCall('POST', '/__sandbox/alipay/scan', { qrCode: payment.qrCode });
    const event = await world.waitForEvent('payment.succeeded', (p) => p.paymentId === payment.id);
    expect(event.payload).toMatchObject({ orderId: order.id, provider: 'alipay', providerPaymentId: payment.id, amount: 12345, currency: 'CNY' });
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view).toMatchObject({ status: 'succeeded', capturedAmount: 12345 });
    // Alipay was answered `success`, so it does not send the notification again
    const [delivery] = await world.notifications(payment.id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, responseStatus: 200 });
  });

  it('refuses a payment in a currency Alipay does not take, before asking it', async () => {
    const order = world.addOrder({ currency: 'USD' });
    const response = await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'alipay' }) });
    expect(response.status).toBe(422);
    expect((await json(response)).error).toMatchObject({ code: 'provider_not_supported', details: { provider: 'alipay', currency: 'USD' } });
  });

  it('refunds part and then the rest: alipay.trade.refund with out_request_no, paid at once, its notification a no-op', async () => {
    const { order, payment } = await paidOrder(10000);
    const partial = `ref_${randomUUID().replace(/-/g, '')}`;
    await world.publishRefunding({ refundId: partial, orderId: order.id, amount: 2550, currency: 'CNY' });
    const first = await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === partial);
    expect(first.payload).toMatchObject({ amount: 2550, currency: 'CNY', providerRefundId: expect.stringMatching(new RegExp(`/${partial}-1$`)) });

    const rest = `ref_${randomUUID().replace(/-/g, '')}`;
    await world.publishRefunding({ refundId: rest, orderId: order.id, amount: 7450, currency: 'CNY' });
    await world.waitForEvent('payment.refund_succeeded', (p) => p.refundId === rest);

    // Alipay holds both, in yuan, under Ebb's request numbers
    const queried = await dashboard().exec('alipay.trade.fastpay.refund.query', { bizContent: { out_trade_no: payment.id, out_request_no: `${partial}-1` } }, { validateSign: true });
    expect(queried).toMatchObject({ code: '10000', refund_amount: '25.50', refund_status: 'REFUND_SUCCESS' });
    const trade = await dashboard().exec('alipay.trade.query', { bizContent: { out_trade_no: payment.id } }, { validateSign: true });
    expect(trade).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    // each refund's notification came and changed nothing more
    await waitFor(async () => (await world.notifications(`${rest}-1`))[0]?.status === 'delivered', { what: 'the refund notification' });
    await sleep(300);
    expect(world.eventsOf('payment.refund_succeeded', (p) => p.refundId === partial || p.refundId === rest)).toHaveLength(2);
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view).toMatchObject({ capturedAmount: 10000, refundedAmount: 10000 });
  });

  it('reports a refund Alipay refuses (the buyer’s account is frozen) as failed with its sub_code', async () => {
    const { order } = await paidOrder(5000, 'frozen@sandbox.alipay');
    const refundId = `ref_${randomUUID().replace(/-/g, '')}`;
    await world.publishRefunding({ refundId, orderId: order.id, amount: 5000, currency: 'CNY' });
    const failed = await world.waitForEvent('payment.refund_failed', (p) => p.refundId === refundId);
    expect(failed.payload.reason).toBe('ACQ.BUYER_ERROR');
    expect(await row(refundId)).toMatchObject({ status: 'failed', failure_reason: 'ACQ.BUYER_ERROR' });
  });

  it('applies a payment notification that arrives late and twice once', async () => {
    await world.faults({ duplicateWebhooks: true, notifyDelayMs: 500 });
    const order = world.addOrder({ currency: 'CNY', totalAmount: 880 });
    const payment = await json(await world.api('/v1/payments', { method: 'POST', token: customer, body: JSON.stringify({ orderId: order.id, provider: 'alipay' }) }));
    await world.sandboxCall('POST', '/__sandbox/alipay/scan', { qrCode: payment.qrCode });
    await waitFor(async () => (await world.notifications(payment.id)).every((n) => n.status === 'delivered') && (await world.notifications(payment.id)).length === 2, {
      what: 'both copies delivered',
    });
    await sleep(300);
    expect(world.eventsOf('payment.succeeded', (p) => p.paymentId === payment.id)).toHaveLength(1);
    const [{ n }] = await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events WHERE provider = 'alipay' AND payload->>'out_trade_no' = $1`, [payment.id]);
    expect(n).toBe(1);
  });

  it('refuses a tampered notification with 400 and records nothing', async () => {
    const { payment } = await paidOrder(3000);
    const [delivered] = await world.notifications(payment.id);
    expect(delivered.status).toBe('delivered');
    const before = await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events`);
    // the notification as Alipay signed it, with the amount raised
    const params: Record<string, string> = {
      notify_id: `forged-${randomUUID()}`,
      notify_type: 'trade_status_sync',
      notify_time: '2026-12-01 10:00:00',
      app_id: world.config.ALIPAY_APP_ID!,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: '2026120122001400000000000001',
      out_trade_no: payment.id,
      trade_status: 'TRADE_SUCCESS',
      total_amount: '30.00',
    };
    const content = Object.keys(params).filter((k) => k !== 'sign_type').sort().map((k) => `${k}=${params[k]}`).join('&');
    params.sign = createSign('RSA-SHA256').update(content, 'utf8').sign(sandboxKeys().alipay.platformPrivateKey, 'base64');
    const post = (body: Record<string, string>) =>
      fetch(`${world.app.url}/v1/webhooks/alipay`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString() });
    // correctly signed: accepted with `success` (a repeat of a paid payment, no effect)
    const genuine = await post(params);
    expect([genuine.status, await genuine.text()]).toEqual([200, 'success']);
    // tampered after signing: refused, nothing recorded
    const tampered = await post({ ...params, notify_id: `forged-${randomUUID()}`, total_amount: '3000.00' });
    expect(tampered.status).toBe(400);
    expect((await json(tampered)).error.code).toBe('invalid_signature');
    const unsigned = await post({ ...params, notify_id: `forged-${randomUUID()}`, sign: '' });
    expect(unsigned.status).toBe(400);
    const after = await world.dataSource.query(`SELECT count(*)::int AS n FROM webhook_events`);
    expect(after[0].n).toBe(before[0].n + 1);
  });

  it('records a refund made at Alipay outside Ebb from its notification, looked up for its amount, once', async () => {
    const { order, payment } = await paidOrder(6000);
    const outRequestNo = `dashboard-${randomUUID().slice(0, 8)}`;
    const made = await dashboard().exec('alipay.trade.refund', { bizContent: { out_trade_no: payment.id, refund_amount: '15.00', out_request_no: outRequestNo } }, { validateSign: true });
    expect(made).toMatchObject({ code: '10000', fund_change: 'Y' });
    const event = await world.waitForEvent('payment.refunded_outside_ebb', (p) => p.paymentId === payment.id);
    expect(event.payload).toMatchObject({ orderId: order.id, provider: 'alipay', amount: 1500, currency: 'CNY', capturedAmount: 6000, duplicate: false, detectedBy: 'webhook' });
    expect(event.payload.providerRefundId).toBe(`${made.trade_no}/${outRequestNo}`);
    const view = await json(await world.api(`/v1/payments/${payment.id}`, { token: customer }));
    expect(view.refundedAmount).toBe(1500);
    expect(await row(event.payload.refundId)).toMatchObject({ status: 'succeeded', amount: '1500' });
  });
});
