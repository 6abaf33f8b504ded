import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign, createVerify, randomUUID } from 'node:crypto';
import { AlipaySdk } from 'alipay-sdk';
import { sandboxKeys } from '@ebb/config';
import { sleep, waitFor } from '@ebb/testing';
import { type TestSandbox, startTestSandbox } from './sandbox-harness';

/** A merchant's notify endpoint that answers `status` with `body` and counts what it is sent. */
async function notifyTarget(status: number, body: string) {
  const received: { headers: Record<string, unknown>; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('sandbox: Alipay and WeChat Pay as their APIs behave', () => {
  let sandbox: TestSandbox;
  const keys = sandboxKeys();

  beforeAll(async () => {
    sandbox = await startTestSandbox({ SANDBOX_NOTIFY_RETRY_DELAYS_MS: '50,50,50' });
  });
  afterAll(() => sandbox.close());

  const alipay = (privateKey = keys.alipay.appPrivateKey) =>
    new AlipaySdk({ appId: '2021000000000001', privateKey, alipayPublicKey: keys.alipay.platformPublicKey, gateway: `${sandbox.url}/alipay/gateway.do`, keyType: 'PKCS8', camelcase: false });

  it('refuses an Alipay request not signed with the merchant’s key (isv.invalid-signature), and signs every answer', async () => {
    const stranger = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    const refused = await alipay(stranger.privateKey).exec('alipay.trade.query', { bizContent: { out_trade_no: 'nope' } }, { validateSign: true });
    expect(refused).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' });
    const missing = await alipay().exec('alipay.trade.query', { bizContent: { out_trade_no: 'nope' } }, { validateSign: true });
    expect(missing).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
    // an answer tampered with does not verify against Alipay's key (what the SDK's validateSign does)
    const raw = await (await fetch(`${sandbox.url}/alipay/gateway.do?method=alipay.trade.query`, { method: 'POST' })).text();
    const { alipay_trade_query_response: inner, sign } = JSON.parse(raw);
    expect(inner).toMatchObject({ code: '40001', sub_code: 'isv.missing-signature' });
    expect(createVerify('RSA-SHA256').update(JSON.stringify(inner)).verify(keys.alipay.platformPublicKey, sign, 'base64')).toBe(true);
    expect(createVerify('RSA-SHA256').update(JSON.stringify({ ...inner, code: '10000' })).verify(keys.alipay.platformPublicKey, sign, 'base64')).toBe(false);
  });

  it('takes yuan with two decimals at most, and answers a refund request number once', async () => {
    const bad = await alipay().exec('alipay.trade.precreate', { bizContent: { out_trade_no: `t${Date.now()}`, total_amount: '1.234', subject: 'x' } }, { validateSign: true });
    expect(bad).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
    const outTradeNo = `t_${randomUUID().slice(0, 8)}`;
    const { qr_code } = await alipay().exec('alipay.trade.precreate', { bizContent: { out_trade_no: outTradeNo, total_amount: '20.00', subject: 'tea' } }, { validateSign: true });
    expect((await sandbox.call('POST', '/__sandbox/alipay/scan', { qrCode: qr_code })).status).toBe(200);
    expect((await sandbox.call('POST', '/__sandbox/alipay/scan', { qrCode: qr_code })).body.error.code).toBe('code_not_payable');
    const refund = (amount: string) => alipay().exec('alipay.trade.refund', { bizContent: { out_trade_no: outTradeNo, refund_amount: amount, out_request_no: 'r-1' } }, { validateSign: true });
    expect(await refund('5.50')).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '5.50' });
    expect(await refund('5.50')).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '5.50' });
    expect(await refund('6.00')).toMatchObject({ sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST' });
    const tooMuch = await alipay().exec('alipay.trade.refund', { bizContent: { out_trade_no: outTradeNo, refund_amount: '14.51', out_request_no: 'r-2' } }, { validateSign: true });
    expect(tooMuch).toMatchObject({ sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
  });

  it('sends a notification the receiver does not accept at most three times more, then gives it up', async () => {
    const target = await notifyTarget(200, 'fail');
    try {
      const outTradeNo = `t_${randomUUID().slice(0, 8)}`;
      const { qr_code } = await alipay().exec('alipay.trade.precreate', { bizContent: { out_trade_no: outTradeNo, total_amount: '9.90', subject: 'tea' }, notify_url: target.url }, { validateSign: true });
      await sandbox.call('POST', '/__sandbox/alipay/scan', { qrCode: qr_code });
      const [given] = await waitFor(async () => {
        const items = (await sandbox.call('GET', `/__sandbox/notifications?objectId=${outTradeNo}`)).body.items;
        return items[0]?.status === 'failed' && items;
      }, { what: 'the notification given up' });
      expect(given).toMatchObject({ provider: 'alipay', attempts: 4, status: 'failed' });
      await sleep(300);
      expect(target.received).toHaveLength(4);
      // each is what Alipay sends: form-encoded, signed without sign and sign_type, verifiable with its key
      const params = Object.fromEntries(new URLSearchParams(target.received[0].body));
      expect(params).toMatchObject({ out_trade_no: outTradeNo, trade_status: 'TRADE_SUCCESS', total_amount: '9.90', sign_type: 'RSA2' });
      expect(alipay().checkNotifySignV2(params)).toBe(true);
      expect(alipay().checkNotifySignV2({ ...params, total_amount: '99.00' })).toBe(false);
    } finally {
      await target.close();
    }
  });

  it('refuses a WeChat Pay request without the merchant’s signature, and signs its answers with the platform key', async () => {
    const body = JSON.stringify({ appid: 'wxd678efh567hg6787', mchid: '1900000001', description: 'tea', out_trade_no: `o${Date.now()}`, notify_url: 'http://127.0.0.1:1/n', amount: { total: 100 } });
    const unsigned = await fetch(`${sandbox.url}/v3/pay/transactions/native`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect([unsigned.status, ((await unsigned.json()) as { code: string }).code]).toEqual([401, 'SIGN_ERROR']);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomUUID().replace(/-/g, '');
    const signature = createSign('RSA-SHA256').update(`POST\n/v3/pay/transactions/native\n${timestamp}\n${nonce}\n${body}\n`).sign(keys.wechatpay.merchantPrivateKey, 'base64');
    const authorization = `WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="${nonce}",signature="${signature}",timestamp="${timestamp}",serial_no="${keys.wechatpay.merchantSerial}"`;
    const tampered = await fetch(`${sandbox.url}/v3/pay/transactions/native`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: body.replace('"total":100', '"total":1') });
    expect(tampered.status).toBe(401);
    const answer = await fetch(`${sandbox.url}/v3/pay/transactions/native`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(JSON.parse(text).code_url).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(answer.headers.get('wechatpay-serial')).toBe(keys.wechatpay.platformPublicKeyId);
    const message = `${answer.headers.get('wechatpay-timestamp')}\n${answer.headers.get('wechatpay-nonce')}\n${text}\n`;
    expect(createVerify('RSA-SHA256').update(message).verify(keys.wechatpay.platformPublicKey, answer.headers.get('wechatpay-signature')!, 'base64')).toBe(true);
  });
});
