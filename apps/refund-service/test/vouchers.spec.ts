import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { DataSource } from 'typeorm';
import { freePort, tokenFor, waitFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();

/**
 * Every succeeded refund gets a voucher: a PDF made after the refund is final (an outbound call),
 * stored in S3-compatible object storage (a real s3rver here, through @aws-sdk/client-s3), its
 * SHA-256 kept with the refund and shown with a short-lived presigned URL. Storage that is down
 * delays the voucher, never the refund.
 */
describe('refund-service: refund vouchers', () => {
  let bed: RefundTestBed;
  let storage: S3rver | undefined;
  let storagePort: number;
  const directory = mkdtempSync(path.join(tmpdir(), 'ebb-vouchers-'));
  const support = tokenFor('support', 'agent_sam');
  const alice = tokenFor('customer', 'cus_alice');
  let orders = 0;

  const startStorage = async () => {
    storage = new S3rver({ port: storagePort, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'ebb-vouchers', configs: [] }] });
    await storage.run();
  };
  const stopStorage = async () => {
    await storage?.close();
    storage = undefined;
  };

  beforeAll(async () => {
    storagePort = await freePort();
    await startStorage();
    bed = await openRefundTestBed('vouchers', {
      OBJECT_STORAGE_ENDPOINT: `http://127.0.0.1:${storagePort}`,
      VOUCHER_URL_TTL_SECONDS: '60',
      VOUCHER_STORE_BACKOFF_MS: '200',
      VOUCHER_STORE_MAX_BACKOFF_MS: '400',
    });
  });
  afterAll(async () => {
    await bed?.close();
    await stopStorage();
    rmSync(directory, { recursive: true, force: true });
  });

  const call = (method: string, pathName: string, token?: string, body?: unknown) =>
    fetch(`${bed.app.url}${pathName}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  /** A refund of money only, paid by the provider: payment-service's word makes it succeed. */
  async function succeededRefund(amount: number) {
    const order = capturedOrder(`ord_${bed.suffix}_v${++orders}`);
    bed.orders.set(order.id, order);
    const refund = await json(await call('POST', '/v1/refunds', alice, { orderId: order.id, amount, reason: 'damaged' }));
    await waitFor(() => bed.events.some((e) => e.payload.refundId === refund.id && e.type === 'refund.refunding'), { what: 'the refund to be refunding' });
    await bed.publish('payment.refund_succeeded', { refundId: refund.id, orderId: order.id, paymentId: 'pay_1', amount, currency: 'USD', providerRefundId: `re_${refund.id}` });
    await waitFor(() => bed.events.some((e) => e.payload.refundId === refund.id && e.type === 'refund.succeeded'), { what: 'the refund to succeed' });
    return refund;
  }
  const voucherCall = async (refundId: string) =>
    (await bed.app.app.get(DataSource).query(`SELECT status, attempts FROM outbound_calls WHERE kind = 'voucher.store' AND key = $1`, [refundId]))[0];

  it('stores a PDF voucher once the refund succeeded, whose presigned URL serves exactly the bytes of the SHA-256 kept with it', async () => {
    const refund = await succeededRefund(1234);
    const view = await waitFor(async () => {
      const found = await json(await call('GET', `/v1/refunds/${refund.id}`, support));
      return found.voucher && found;
    }, { what: 'the voucher to be stored' });
    expect(view).toMatchObject({ status: 'succeeded', voucher: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), url: expect.stringContaining(`/ebb-vouchers/vouchers/${refund.id}.pdf?`) } });
    expect(view.voucher.url).toMatch(/X-Amz-Expires=60/);
    // the URL needs no token: it is signed for this object, for a minute
    const document = Buffer.from(await (await fetch(view.voucher.url)).arrayBuffer());
    expect(document.subarray(0, 5).toString()).toBe('%PDF-');
    expect(createHash('sha256').update(document).digest('hex')).toBe(view.voucher.sha256);
    // the customer sees it too; a refund not succeeded has none
    expect((await json(await call('GET', `/v1/refunds/${refund.id}`, alice))).voucher.sha256).toBe(view.voucher.sha256);
    const pending = capturedOrder(`ord_${bed.suffix}_v${++orders}`);
    bed.orders.set(pending.id, pending);
    const open = await json(await call('POST', '/v1/refunds', alice, { orderId: pending.id, amount: 100, reason: 'damaged' }));
    expect((await json(await call('GET', `/v1/refunds/${open.id}`, support))).voucher).toBeUndefined();
  });

  it('lets the refund succeed while object storage is down, and stores the voucher when storage is back', async () => {
    await stopStorage();
    try {
      const refund = await succeededRefund(2000);
      expect((await json(await call('GET', `/v1/refunds/${refund.id}`, support))).status).toBe('succeeded');
      await waitFor(async () => (await voucherCall(refund.id))?.attempts >= 2, { what: 'two failed attempts to store the voucher', timeoutMs: 20_000 });
      expect((await json(await call('GET', `/v1/refunds/${refund.id}`, support))).voucher).toBeUndefined();
      await startStorage();
      const view = await waitFor(async () => {
        const found = await json(await call('GET', `/v1/refunds/${refund.id}`, support));
        return found.voucher && found;
      }, { what: 'the voucher stored once storage is back', timeoutMs: 20_000 });
      const document = Buffer.from(await (await fetch(view.voucher.url)).arrayBuffer());
      expect(createHash('sha256').update(document).digest('hex')).toBe(view.voucher.sha256);
      expect(await voucherCall(refund.id)).toMatchObject({ status: 'done' });
    } finally {
      if (!storage) await startStorage();
    }
  });
});
