import { type IncomingMessage as HttpRequest, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import type { OrderCaptured, RefundSnapshot } from '@ebb/contracts';
import { type PublishAs, type TestApp, tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { OutboundCalls } from '@ebb/outbound';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../src/notifications/webhook-signature';
import type { SmtpSink } from './smtp-sink';
import { type NotificationTestBed, openNotificationTestBed } from './notification-test-kit';

// response bodies are checked field by field
const json = async (response: Response): Promise<any> => response.json();

const suffix = uniqueSuffix();
const webhookSecret = 'whsec_test_merchant';

/** A merchant endpoint of the test's own: records every webhook it is sent. */
function startMerchant(): Promise<{ server: Server; url: string; received: { body: string; signature: string }[] }> {
  const received: { body: string; signature: string }[] = [];
  const server = createServer((request: HttpRequest, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(request.headers['ebb-signature'] ?? '') });
      response.writeHead(204).end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/ebb` }),
    ),
  );
}

describe('notification-service', () => {
  let bed: NotificationTestBed;
  let testApp: TestApp;
  let smtp: SmtpSink;
  let merchant: Awaited<ReturnType<typeof startMerchant>>;
  const support = { Authorization: `Bearer ${tokenFor('support', 'agent-1')}` };

  beforeAll(async () => {
    merchant = await startMerchant();
    bed = await openNotificationTestBed('main', { MERCHANT_WEBHOOK_URL: merchant.url, MERCHANT_WEBHOOK_SECRET: webhookSecret });
    testApp = bed.testApp;
    smtp = bed.smtp;
  });

  afterAll(async () => {
    await bed?.close();
    await new Promise((resolve) => merchant?.server.close(resolve));
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${testApp.url}${path}`, init);
  const rows = (where: string, params: unknown[]) =>
    testApp.app.get(DataSource).query(`SELECT * FROM notifications WHERE ${where} ORDER BY created_at, id`, params);

  /** Publishes an event as its owner's outbox relay would; returns the message id. */
  const publish: PublishAs = (type, payload, messageId) => bed.publish(type, payload, messageId);

  let sequence = 0;
  function refund(overrides: Partial<RefundSnapshot> = {}): RefundSnapshot {
    sequence++;
    return {
      refundId: `ref_${suffix}_${sequence}`,
      orderId: `ord_${suffix}_${sequence}`,
      customerId: `cus_${sequence}`,
      email: `customer${sequence}@example.test`,
      status: 'succeeded',
      amount: 1234,
      currency: 'USD',
      reason: 'damaged',
      initiator: 'customer',
      shipped: false,
      ...overrides,
    };
  }

  it('records a queued row for a succeeded refund without sending anything while the sender is stopped', async () => {
    const sender = testApp.app.get(OutboundCalls);
    await sender.stop();
    const succeeded = refund();
    try {
      await publish('refund.succeeded', succeeded);
      const [row] = await waitFor(async () => {
        const found = await rows(`refund_id = $1 AND channel = 'email'`, [succeeded.refundId]);
        return found.length === 1 && found;
      }, { what: 'the queued row' });
      expect(row).toMatchObject({ status: 'queued', attempts: 0, template: 'refund_succeeded', recipient: succeeded.email });
      expect(row.subject).toBe(`Refunded: $12.34 for order ${succeeded.orderId}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(smtp.to(succeeded.email)).toHaveLength(0);
    } finally {
      sender.start();
    }
    await waitFor(() => smtp.to(succeeded.email).length === 1, { what: 'the mail once the sender runs' });
  });

  it('writes to the customer of a zh-CN order in Chinese, money in the order’s currency as a Chinese reader writes it', async () => {
    const approved = refund({ status: 'approved', amount: 4999, currency: 'CNY', locale: 'zh-CN' });
    await publish('refund.approved', approved);
    const [mail] = await waitFor(() => smtp.to(approved.email).length > 0 && smtp.to(approved.email), { what: 'the Chinese mail' });
    expect(mail.subject).toBe('您 ¥49.99 的退款已获批准');
    expect(mail.text).toContain('您好，');
    expect(mail.text).toContain(`退款编号：${approved.refundId}`);
    expect(mail.text).toContain('原因：商品到货时已损坏');
    const captured = { orderId: `ord_${suffix}_zh`, customerId: 'cus_zh', email: 'zh@example.test', paymentId: 'pay_zh', amount: 100000, currency: 'JPY', locale: 'zh-CN' };
    await publish('order.captured', captured);
    const [receipt] = await waitFor(() => smtp.to(captured.email).length > 0 && smtp.to(captured.email), { what: 'the Chinese receipt' });
    expect(receipt.subject).toBe(`已收到付款：订单 ${captured.orderId} 的 JP¥100,000`);
  });

  it('mails the customer when a refund succeeds, with the amount, refund id and order id', async () => {
    const succeeded = refund({ amount: 4999, currency: 'EUR' });
    await publish('refund.succeeded', succeeded);

    const [mail] = await waitFor(() => smtp.to(succeeded.email).length > 0 && smtp.to(succeeded.email), { what: 'the mail' });
    expect(mail.from).toBe('refunds@ebb.local');
    expect(mail.subject).toBe(`Refunded: €49.99 for order ${succeeded.orderId}`);
    expect(mail.text).toContain('Your refund of €49.99 has been paid back');
    expect(mail.text).toContain(`Refund: ${succeeded.refundId}`);
    expect(mail.text).toContain(`Order: ${succeeded.orderId}`);
    expect(mail.text).toContain('Reason: item arrived damaged');

    const [row] = await waitFor(async () => {
      const found = await rows(`refund_id = $1 AND channel = 'email'`, [succeeded.refundId]);
      return found[0]?.status === 'sent' && found;
    }, { what: 'the row to be marked sent' });
    expect(row).toMatchObject({ template: 'refund_succeeded', recipient: succeeded.email, attempts: 1, customer_id: succeeded.customerId });
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it('mails a refund step once when the same event arrives twice, even under a new message id', async () => {
    const approved = refund({ status: 'approved' });
    const messageId = await publish('refund.approved', approved);
    await publish('refund.approved', approved, messageId);
    await publish('refund.approved', approved);

    await waitFor(() => smtp.to(approved.email).length > 0, { what: 'the mail' });
    // let the later deliveries be consumed and any extra mail go out before counting
    await waitFor(async () => (await rows(`refund_id = $1`, [approved.refundId]))[0]?.status === 'sent', { what: 'sent' });
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(smtp.to(approved.email)).toHaveLength(1);
    expect(await rows(`refund_id = $1`, [approved.refundId])).toHaveLength(1);
  });

  it('mails the latest step an event tells when one transaction took the refund through several', async () => {
    const refunding = refund({ status: 'refunding', amount: 3500, steps: ['requested', 'approved', 'refunding'] });
    await publish('refund.refunding', refunding);

    const [row] = await waitFor(async () => {
      const found = await rows(`refund_id = $1`, [refunding.refundId]);
      return found[0]?.status === 'sent' && found;
    }, { what: 'the approved mail' });
    // let any extra mail go out before counting
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(await rows(`refund_id = $1`, [refunding.refundId])).toHaveLength(1);
    expect(row.template).toBe('refund_approved');
    expect(smtp.to(refunding.email).map((mail) => mail.subject)).toEqual(['Your refund of $35.00 is approved']);
  });

  it('mails each step of a shipped refund once, even when each message is delivered twice', async () => {
    const shipped = refund({ shipped: true, amount: 2500, currency: 'EUR' });
    const steps = [
      { type: 'refund.intercepting', template: 'refund_intercepting', subject: `We are asking the carrier to stop the parcel of order ${shipped.orderId}` },
      { type: 'refund.awaiting_return', template: 'refund_awaiting_return', subject: `Please send back your parcel for order ${shipped.orderId}` },
      { type: 'refund.inspecting', template: 'refund_inspecting', subject: `Your return for order ${shipped.orderId} has arrived and is being inspected` },
    ];
    for (const step of steps) {
      const payload = { ...shipped, status: step.type.slice('refund.'.length) };
      const messageId = await publish(step.type, payload);
      await publish(step.type, payload, messageId); // the broker delivers the same message again
    }

    await waitFor(async () => (await rows(`refund_id = $1 AND status = 'sent'`, [shipped.refundId])).length === steps.length, {
      what: 'the three step mails to be sent',
    });
    // let any extra mail go out before counting
    await new Promise((resolve) => setTimeout(resolve, 700));
    const mails = smtp.to(shipped.email);
    expect(mails.map((mail) => mail.subject).sort()).toEqual(steps.map((step) => step.subject).sort());
    const recorded = await rows(`refund_id = $1`, [shipped.refundId]);
    expect(recorded.map((row: { channel: string; template: string }) => `${row.channel}:${row.template}`).sort()).toEqual(
      steps.map((step) => `email:${step.template}`).sort(),
    );
    const awaiting = mails.find((mail) => mail.subject === steps[1].subject)!;
    expect(awaiting.text).toContain('Your refund of €25.00 is paid once the parcel has arrived and passed our inspection.');
    expect(awaiting.text).toContain(`Refund: ${shipped.refundId}`);
  });

  it('tells the customer why a returned parcel failed inspection when its refund is declined', async () => {
    const rejected = refund({ status: 'rejected', shipped: true, note: 'The lamp came back with a cracked shade.' });
    await publish('refund.rejected', rejected);

    const [mail] = await waitFor(() => smtp.to(rejected.email).length > 0 && smtp.to(rejected.email), { what: 'the rejected mail' });
    expect(mail.subject).toBe(`Your refund for order ${rejected.orderId} was declined`);
    expect(mail.text).toContain('Note: The lamp came back with a cracked shade.');
  });

  it('retries a mail the SMTP server refuses and sends it once when the server accepts again', async () => {
    const requested = refund({ status: 'requested', reason: 'wrong_item' });
    smtp.refuse(requested.email, 2);
    await publish('refund.requested', requested);

    const [row] = await waitFor(async () => {
      const found = await rows(`refund_id = $1`, [requested.refundId]);
      return found[0]?.status === 'sent' && found;
    }, { what: 'the mail to be sent after the refusals' });
    expect(row.attempts).toBe(3);
    expect(row.last_error).toBeNull();
    const mails = smtp.to(requested.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toBe(`We received your refund request for order ${requested.orderId}`);

    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/^notifications_sent_total\{[^}]*template="refund_requested"[^}]*outcome="retrying"[^}]*\} 2$/m);
    expect(metrics).toMatch(/^notifications_sent_total\{[^}]*template="refund_requested"[^}]*outcome="sent"[^}]*\} 1$/m);
  });

  it('marks an ordinary mail failed after the last attempt but never gives up on a refund.succeeded mail', async () => {
    const pending = refund({ status: 'pending_review' });
    const succeeded = refund();
    smtp.refuseAll = true;
    let failedId = '';
    try {
      await publish('refund.pending_review', pending);
      await publish('refund.succeeded', succeeded);
      const [failed] = await waitFor(async () => {
        const found = await rows(`refund_id = $1`, [pending.refundId]);
        return found[0]?.status === 'failed' && found;
      }, { what: 'the pending-review mail to fail' });
      expect(failed.attempts).toBe(3);
      failedId = failed.id;
      expect(failed.last_error).toContain('mailbox busy');
      await waitFor(async () => {
        const [mail] = await rows(`refund_id = $1 AND channel = 'email'`, [succeeded.refundId]);
        return mail?.attempts > 3 && mail.status !== 'failed';
      }, { what: 'the refund.succeeded mail to retry past the limit' });
    } finally {
      smtp.refuseAll = false;
    }
    await waitFor(async () => (await rows(`refund_id = $1 AND channel = 'email'`, [succeeded.refundId]))[0]?.status === 'sent', {
      what: 'the refund.succeeded mail to be sent at last',
    });
    expect(smtp.to(succeeded.email)).toHaveLength(1);
    expect(smtp.to(pending.email)).toHaveLength(0);
    const listed = await json(await api(`/v1/notifications?refundId=${pending.refundId}`, { headers: support }));
    expect(listed.items).toMatchObject([{ status: 'failed', template: 'refund_pending_review' }]);
    // never left failed silently: counted for the alert, and an operator sends it again
    expect(await (await api('/metrics')).text()).toMatch(/^notifications_failed\{[^}]*channel="email"[^}]*\} 1$/m);
    const retry = await api(`/v1/admin/notifications/${failedId}/retry`, { method: 'POST', headers: { Authorization: `Bearer ${tokenFor('admin', 'ops-1')}` } });
    expect(retry.status).toBe(200);
    await waitFor(async () => (await rows(`refund_id = $1`, [pending.refundId]))[0]?.status === 'sent', { what: 'the retried mail to be sent' });
    expect(smtp.to(pending.email)).toHaveLength(1);
    const again = await api(`/v1/admin/notifications/${failedId}/retry`, { method: 'POST', headers: { Authorization: `Bearer ${tokenFor('admin', 'ops-1')}` } });
    expect([again.status, (await json(again)).error.code]).toEqual([409, 'notification_not_failed']);
    expect((await api(`/v1/admin/notifications/${failedId}/retry`, { method: 'POST', headers: support })).status).toBe(403);
  });

  it('e-mails a payment receipt when an order is captured', async () => {
    const captured: OrderCaptured = {
      orderId: `ord_${suffix}_paid`,
      customerId: 'cus_paid',
      email: 'payer@example.test',
      paymentId: `pay_${suffix}`,
      amount: 100000,
      currency: 'JPY',
    };
    await publish('order.captured', captured);
    const [mail] = await waitFor(() => smtp.to(captured.email).length > 0 && smtp.to(captured.email), { what: 'the receipt' });
    expect(mail.subject).toBe(`Payment received: ¥100,000 for order ${captured.orderId}`);
    expect(mail.text).toContain(`Payment: ${captured.paymentId}`);
    const [row] = await rows(`order_id = $1`, [captured.orderId]);
    expect(row).toMatchObject({ channel: 'email', template: 'payment_receipt', refund_id: null, customer_id: 'cus_paid' });
  });

  it('posts a signed merchant webhook for a final refund state and none for an intermediate one', async () => {
    const rejected = refund({ status: 'rejected', note: 'outside the refund window' });
    const approved = refund({ status: 'approved' });
    await publish('refund.approved', approved);
    await publish('refund.rejected', rejected);

    const hook = await waitFor(() => merchant.received.find((entry) => entry.body.includes(rejected.refundId)), { what: 'the webhook' });
    expect(verifyWebhookSignature(hook.body, hook.signature, webhookSecret)).toBe(true);
    expect(verifyWebhookSignature(hook.body, hook.signature, 'another secret')).toBe(false);
    expect(hook.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(JSON.parse(hook.body)).toMatchObject({ id: `${rejected.refundId}.rejected`, type: 'refund.rejected', data: rejected });
    expect(SIGNATURE_HEADER).toBe('Ebb-Signature');

    await waitFor(() => smtp.to(approved.email).length > 0, { what: 'the approved mail' });
    await waitFor(() => smtp.to(rejected.email).length > 0, { what: 'the rejected mail' });
    expect(smtp.to(rejected.email)[0].text).toContain('Note: outside the refund window');
    expect(merchant.received.filter((entry) => entry.body.includes(approved.refundId))).toHaveLength(0);
    const channels = (await rows(`refund_id = $1`, [rejected.refundId])).map((row: { channel: string }) => row.channel).sort();
    expect(channels).toEqual(['email', 'webhook']);
  });

  it('sends nothing for refund.refunding: the approved mail already told the customer', async () => {
    const refunding = refund({ status: 'refunding' });
    await publish('refund.refunding', refunding);
    await publish('refund.succeeded', { ...refunding, status: 'succeeded' });
    await waitFor(() => smtp.to(refunding.email).length === 1, { what: 'the succeeded mail' });
    const templates = (await rows(`refund_id = $1`, [refunding.refundId])).map((row: { template: string }) => row.template);
    expect(templates.sort()).toEqual(['refund_succeeded', 'refund_succeeded']);
    expect(smtp.to(refunding.email)[0].subject).toMatch(/^Refunded: /);
  });

  it('sends again a mail a crashed sender left half sent, once its lease ran out', async () => {
    const cancelled = refund({ status: 'cancelled' });
    const dataSource = testApp.app.get(DataSource);
    // the first attempt claimed the call, then its process died: the lease ran out an hour ago
    await dataSource.query(
      `INSERT INTO notifications (id, channel, template, recipient, subject, body, status, attempts, order_id, refund_id, customer_id, dedupe_key)
       VALUES ('ntf_stuck', 'email', 'refund_cancelled', $1, 'Cancelled', 'text', 'queued', 0, $2, $3, $4, 'stuck')`,
      [cancelled.email, cancelled.orderId, cancelled.refundId, cancelled.customerId],
    );
    await dataSource.query(
      `INSERT INTO outbound_calls (kind, key, payload, status, attempts, next_attempt_at, lease_until, first_called_at)
       VALUES ('notification.send', 'ntf_stuck', '{"notificationId": "ntf_stuck"}', 'calling', 1, now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour')`,
    );
    testApp.app.get(OutboundCalls).wake();
    await waitFor(() => smtp.to(cancelled.email).length === 1, { what: 'the stuck mail to be sent' });
    const [row] = await waitFor(async () => {
      const found = await rows(`id = 'ntf_stuck'`, []);
      return found[0]?.status === 'sent' && found;
    }, { what: 'the stuck row to be sent' });
    expect(row.attempts).toBe(2);
  });

  describe('GET /v1/notifications', () => {
    let mine: RefundSnapshot;

    beforeAll(async () => {
      mine = refund({ status: 'requested', customerId: 'cus_reader' });
      await publish('refund.requested', mine);
      await waitFor(async () => (await rows(`refund_id = $1`, [mine.refundId])).length === 1, { what: 'the requested row' });
      await publish('refund.succeeded', { ...mine, status: 'succeeded' });
      await waitFor(async () => (await rows(`refund_id = $1 AND status = 'sent'`, [mine.refundId])).length === 3, {
        what: 'the reader refund notifications',
      });
    });

    it('lists the notifications of a refund to support, oldest first, without their body', async () => {
      const response = await api(`/v1/notifications?refundId=${mine.refundId}`, { headers: support });
      expect(response.status).toBe(200);
      const { items } = await json(response);
      const kinds = items.map((item: { template: string; channel: string }) => `${item.channel}:${item.template}`);
      expect(kinds[0]).toBe('email:refund_requested');
      expect(kinds.slice(1).sort()).toEqual(['email:refund_succeeded', 'webhook:refund_succeeded']);
      expect(items[0]).toMatchObject({
        channel: 'email',
        recipient: mine.email,
        status: 'sent',
        orderId: mine.orderId,
        refundId: mine.refundId,
      });
      expect(Date.parse(items[0].createdAt)).not.toBeNaN();
      expect(Date.parse(items[0].sentAt)).not.toBeNaN();
      expect(items[0].body).toBeUndefined();
    });

    it('filters by order id', async () => {
      const { items } = await json(await api(`/v1/notifications?orderId=${mine.orderId}`, { headers: support }));
      expect(items).toHaveLength(3);
      expect(items.every((item: { orderId: string }) => item.orderId === mine.orderId)).toBe(true);
      const none = await json(await api(`/v1/notifications?orderId=ord_unknown`, { headers: support }));
      expect(none.items).toEqual([]);
    });

    it('shows a customer their own notifications and nobody else’s', async () => {
      const owner = { Authorization: `Bearer ${tokenFor('customer', 'cus_reader')}` };
      const stranger = { Authorization: `Bearer ${tokenFor('customer', 'cus_stranger')}` };
      const own = await json(await api(`/v1/notifications?orderId=${mine.orderId}`, { headers: owner }));
      expect(own.items).toHaveLength(3);
      const theirs = await json(await api(`/v1/notifications?orderId=${mine.orderId}`, { headers: stranger }));
      expect(theirs.items).toEqual([]);

      const one = own.items[0];
      expect((await api(`/v1/notifications/${one.id}`, { headers: owner })).status).toBe(200);
      const hidden = await api(`/v1/notifications/${one.id}`, { headers: stranger });
      expect(hidden.status).toBe(404);
      expect((await json(hidden)).error.code).toBe('notification_not_found');
    });

    it('refuses a caller without a token and an unknown or malformed filter', async () => {
      const anonymous = await api(`/v1/notifications?orderId=${mine.orderId}`);
      expect(anonymous.status).toBe(401);
      expect((await json(anonymous)).error.code).toBe('unauthorized');

      const unknown = await api(`/v1/notifications?customer=cus_reader`, { headers: support });
      expect(unknown.status).toBe(400);
      expect((await json(unknown)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'customer' }] });

      const malformed = await api(`/v1/notifications?orderId=${encodeURIComponent('not an id')}`, { headers: support });
      expect(malformed.status).toBe(400);
      expect((await json(malformed)).error.details).toMatchObject([{ field: 'orderId' }]);
    });
  });
});
