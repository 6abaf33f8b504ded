import type { RefundPolicyChangesAnnounced, RefundSnapshot, SellerUpdated } from '@ebb/contracts';
import { tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { type NotificationTestBed, openNotificationTestBed } from './notification-test-kit';

const json = async (response: Response): Promise<any> => response.json();

describe('notification-service mails to sellers', () => {
  let bed: NotificationTestBed;
  const run = `pmr_${uniqueSuffix()}`;
  const admin = { Authorization: `Bearer ${tokenFor('admin', 'ops-1')}` };
  const support = { Authorization: `Bearer ${tokenFor('support', 'agent-1')}` };

  beforeAll(async () => {
    bed = await openNotificationTestBed('sellers');
  });

  afterAll(async () => {
    await bed?.close();
  });

  const seller = (sellerId: string, overrides: Partial<SellerUpdated> = {}): SellerUpdated => ({
    sellerId,
    name: `Shop ${sellerId}`,
    email: `${sellerId}@shops.example`,
    locale: 'en',
    registeredAt: '2026-01-05T10:00:00.000Z',
    updatedAt: '2026-01-05T10:00:00.000Z',
    ...overrides,
  });
  const announcement = (sellerId: string, runId = run): RefundPolicyChangesAnnounced => ({
    runId,
    sellerId,
    changes: [
      { productId: 'prod-course', title: 'Watercolour course', oldWindowDays: 30, oldSource: 'default', newWindowDays: 60 },
      { productId: 'prod-template', title: 'Invoice template', oldWindowDays: 14, oldSource: 'seller', newWindowDays: 7 },
    ],
  });
  const directory = async (sellerId: string) => (await bed.dataSource.query(`SELECT name, email, locale FROM sellers WHERE seller_id = $1`, [sellerId]))[0];
  const inbox = (sellerId: string) => bed.smtp.to(`${sellerId}@shops.example`);
  const handled = async (handler: string, messageId: string) =>
    (await bed.dataSource.query(`SELECT 1 FROM inbox WHERE handler = $1 AND message_id = $2`, [handler, messageId])).length === 1;

  it('keeps each seller the newest inventory.seller_updated says, whatever order they arrive in', async () => {
    const sellerId = `sel-dir-${uniqueSuffix()}`;
    await bed.publish('inventory.seller_updated', seller(sellerId, { name: 'Newer', updatedAt: '2026-03-01T00:00:00.000Z', locale: 'zh-CN' }));
    await waitFor(async () => (await directory(sellerId))?.name === 'Newer', { what: 'the seller in the directory' });
    const late = await bed.publish('inventory.seller_updated', seller(sellerId, { name: 'Older', updatedAt: '2026-02-01T00:00:00.000Z' }));
    await waitFor(() => handled('notifications.keep-seller-contact', late), { what: 'the late update handled' });
    expect(await directory(sellerId)).toEqual({ name: 'Newer', email: `${sellerId}@shops.example`, locale: 'zh-CN' });
  });

  it('mails an English seller each product with its old and new window, once however often the run announces it', async () => {
    const sellerId = `sel-en-${uniqueSuffix()}`;
    await bed.publish('inventory.seller_updated', seller(sellerId));
    await waitFor(async () => !!(await directory(sellerId)), { what: 'the seller in the directory' });
    const first = await bed.publish('refund_policy.changes_announced', announcement(sellerId));
    const again = await bed.publish('refund_policy.changes_announced', announcement(sellerId));
    const [mail] = await waitFor(() => inbox(sellerId).length > 0 && inbox(sellerId), { what: 'the seller mail' });
    expect(mail.subject).toBe('Refund windows of 2 of your products are changing');
    expect(mail.text).toContain('Hello,');
    expect(mail.text).toContain('- Watercolour course (prod-course): 30 days (the platform default) → 60 days');
    expect(mail.text).toContain("- Invoice template (prod-template): 14 days (your shop's window) → 7 days");
    expect(mail.text).toContain(`Change: ${run}`);
    await waitFor(async () => (await handled('notifications.mail-policy-changes', first)) && (await handled('notifications.mail-policy-changes', again)), {
      what: 'both announcements handled',
    });
    await waitFor(async () => (await json(await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications`, { headers: support }))).items[0]?.status === 'sent', {
      what: 'the notification sent',
    });
    expect(inbox(sellerId)).toHaveLength(1);

    // another run is another mail
    await bed.publish('refund_policy.changes_announced', announcement(sellerId, `${run}-2`));
    await waitFor(() => inbox(sellerId).length === 2, { what: 'the second run’s mail' });
    const listed = await json(await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications?limit=1`, { headers: support }));
    expect(listed.items).toEqual([expect.objectContaining({ sellerId, template: 'seller_policy_changes', recipient: `${sellerId}@shops.example`, channel: 'email' })]);
    const next = await json(await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications?limit=1&cursor=${listed.nextCursor}`, { headers: support }));
    expect(next.items).toHaveLength(1);
    expect(next.items[0].id).not.toBe(listed.items[0].id);
    // a seller's mails are not an order's: the order log leaves them out
    const orderLog = await json(await fetch(`${bed.testApp.url}/v1/notifications`, { headers: support }));
    expect(orderLog.items.filter((item: { id: string }) => item.id === listed.items[0].id)).toEqual([]);
    expect((await fetch(`${bed.testApp.url}/v1/notifications/${listed.items[0].id}`, { headers: support })).status).toBe(404);
    const customer = await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications`, { headers: { Authorization: `Bearer ${tokenFor('customer', 'cus-1')}` } });
    expect(customer.status).toBe(403);
  });

  it('writes to a Chinese seller in Simplified Chinese', async () => {
    const sellerId = `sel-zh-${uniqueSuffix()}`;
    await bed.publish('inventory.seller_updated', seller(sellerId, { name: '青竹工作室', locale: 'zh-CN' }));
    await waitFor(async () => !!(await directory(sellerId)), { what: 'the seller in the directory' });
    await bed.publish('refund_policy.changes_announced', {
      ...announcement(sellerId),
      changes: [{ productId: 'prod-kecheng', title: '水彩入门课程', oldWindowDays: 0, oldSource: 'product', newWindowDays: 60 }],
    });
    const [mail] = await waitFor(() => inbox(sellerId).length > 0 && inbox(sellerId), { what: 'the Chinese mail' });
    expect(mail.subject).toBe('您的 1 件商品的退款期限即将调整');
    expect(mail.text).toContain('您好，');
    expect(mail.text).toContain('青竹工作室，您店铺的退款期限将改为按商品设置');
    expect(mail.text).toContain('- 水彩入门课程（prod-kecheng）：不可退款 → 60 天');
    expect(mail.text).toContain('Ebb 退款团队');
  });

  it('parks an announcement for a seller it does not know yet, and mails once the seller is known and the message replayed', async () => {
    const sellerId = `sel-late-${uniqueSuffix()}`;
    await bed.publish('refund_policy.changes_announced', announcement(sellerId));
    const parked = await waitFor(
      async () => (await json(await fetch(`${bed.testApp.url}/v1/admin/dead-letters`, { headers: admin }))).items.find((item: { content: string }) => item.content.includes(sellerId)),
      { what: 'the announcement parked' },
    );
    expect(parked.error).toContain('not in the seller directory');
    expect(inbox(sellerId)).toHaveLength(0);

    await bed.publish('inventory.seller_updated', seller(sellerId));
    await waitFor(async () => !!(await directory(sellerId)), { what: 'the seller in the directory' });
    expect((await fetch(`${bed.testApp.url}/v1/admin/dead-letters/${parked.id}/replay`, { method: 'POST', headers: admin })).status).toBe(200);
    await waitFor(() => inbox(sellerId).length === 1, { what: 'the mail after the replay' });
  });

  it('asks a seller who reviews by hand to decide a refund waiting for them, in their language, once; not for refunds support decides', async () => {
    const sellerId = `sel-review-${uniqueSuffix()}`;
    await bed.publish('inventory.seller_updated', seller(sellerId, { name: '青竹工作室', locale: 'zh-CN' }));
    await waitFor(async () => !!(await directory(sellerId)), { what: 'the seller in the directory' });
    const waiting = (refundId: string, fields: Partial<RefundSnapshot>): RefundSnapshot => ({
      refundId,
      orderId: `ord-${refundId}`,
      customerId: 'cus-1',
      email: 'buyer@example.com',
      status: 'pending_review',
      amount: 12345,
      currency: 'CNY',
      reason: 'damaged',
      initiator: 'customer',
      shipped: false,
      restockItems: [],
      steps: ['requested', 'pending_review'],
      locale: 'en',
      sellerId,
      ...fields,
    });
    const mine = waiting(`ref-sr-${uniqueSuffix()}`, { sellerReview: true, autoApproveAt: '2026-12-08T10:00:00.000Z' });
    const first = await bed.publish('refund.pending_review', mine);
    const again = await bed.publish('refund.pending_review', mine);
    // above the automatic limit of a seller who does not review by hand: support decides, the seller is not asked
    const supports = await bed.publish('refund.pending_review', waiting(`ref-sp-${uniqueSuffix()}`, {}));
    const [mail] = await waitFor(() => inbox(sellerId).length > 0 && inbox(sellerId), { what: 'the review mail' });
    expect(mail.subject).toContain(mine.orderId);
    expect(mail.text).toContain('青竹工作室');
    expect(mail.text).toContain('¥123.45');
    expect(mail.text).toContain(mine.refundId);
    await waitFor(
      async () => (await handled('notifications.mail-seller-review', first)) && (await handled('notifications.mail-seller-review', again)) && (await handled('notifications.mail-seller-review', supports)),
      { what: 'the three events handled' },
    );
    await waitFor(async () => (await json(await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications`, { headers: support }))).items[0]?.status === 'sent', {
      what: 'the review mail sent',
    });
    expect(inbox(sellerId)).toHaveLength(1);
    expect((await json(await fetch(`${bed.testApp.url}/v1/sellers/${sellerId}/notifications`, { headers: support }))).items).toEqual([
      expect.objectContaining({ template: 'seller_refund_review', recipient: `${sellerId}@shops.example` }),
    ]);
  });
});
