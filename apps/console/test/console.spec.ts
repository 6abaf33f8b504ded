import { AmqpBroker } from '@ebb/messaging';
import { TEST_AMQP_URL, publisherOn, waitFor } from '@ebb/testing';
import { admin, consoleForTests, paidOrder, screenshot, signIn, stock, support } from './console-kit';

/**
 * The operator console in Debian's Chromium against the real platform: what support and admin do
 * through it reaches the services once, and a customer's token opens no operator page.
 */
describe('the operator console in a browser', () => {
  // above 50 EUR a person decides: refunds wait in the review queue
  const world = consoleForTests({ refund: { REFUND_MAX_AUTO_AMOUNT: '50' } });

  const refund = async (id: string) => world.api.call('refund', 'GET', `/v1/refunds/${id}`, { token: admin() });
  const requestRefund = async (order: { orderId: string; token: string }, body: Record<string, unknown> = {}) =>
    world.api.call('refund', 'POST', '/v1/refunds', { token: order.token, body: { orderId: order.orderId, reason: 'damaged', ...body } });
  const reaches = (id: string, statuses: string[]) =>
    waitFor(async () => {
      const current = await refund(id);
      return statuses.includes(current.status) && current;
    }, { what: `refund ${id} to reach ${statuses.join('|')}`, timeoutMs: 20000 });

  it('lets a support agent approve a refund from the review queue once however often the button is clicked, and approve several at once', async () => {
    const orders = await Promise.all([paidOrder(world, [{ quantity: 1, unitAmount: 12000 }]), paidOrder(world, [{ quantity: 2, unitAmount: 4500 }]), paidOrder(world, [{ quantity: 1, unitAmount: 7300 }])]);
    const [single, ...several] = await Promise.all(orders.map((order) => requestRefund(order)));
    expect([single, ...several].map((each) => each.status)).toEqual(['pending_review', 'pending_review', 'pending_review']);

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'support', '/review');
    const row = page.getByTestId(`queue-row-${single.id}`);
    await row.waitFor();
    // the amount in the order's currency, from minor units
    await expect(row.textContent()).resolves.toContain('€120.00');
    await page.getByTestId(`approve-${single.id}`).click();
    await page.getByRole('dialog').getByRole('textbox').fill('receipt checked');
    await screenshot(page, 'review-queue-approve');
    await page.getByTestId(`approve-${single.id}-confirm`).dblclick();
    await row.waitFor({ state: 'detached' });

    const approved = await reaches(single.id, ['refunding', 'succeeded']);
    const approvals = approved.history.filter((entry: { status: string }) => entry.status === 'approved');
    expect(approvals).toEqual([expect.objectContaining({ actor: 'support:support-dev', note: 'receipt checked' })]);

    // several at once: select both, approve, each answered
    for (const each of several) await page.getByRole('checkbox', { name: `Select ${each.id}` }).check();
    await page.getByTestId('bulk-approve').click();
    await page.getByTestId('bulk-confirm').click();
    await expect(page.getByTestId('bulk-summary').textContent()).resolves.toBe('2 of 2 done.');
    await screenshot(page, 'review-queue-bulk');
    for (const each of several) expect((await reaches(each.id, ['refunding', 'succeeded'])).history.filter((entry: { status: string }) => entry.status === 'approved')).toHaveLength(1);
    await page.close();
  });

  it('lets a support agent mark a return received and pass its inspection, which pays the refund', async () => {
    const order = await paidOrder(world, [{ quantity: 1, unitAmount: 2900 }]);
    expect((await world.api.request('order', 'POST', `/v1/orders/${order.orderId}/shipments`, { token: admin(), body: { carrier: 'dhl', trackingNumber: `TRK-${order.orderId}` } })).status).toBe(201);
    expect((await world.api.request('order', 'POST', `/v1/orders/${order.orderId}/delivery`, { token: admin() })).status).toBe(200);
    const asked = await requestRefund(order, { reason: 'not_as_described' });
    expect(asked.status).toBe('awaiting_return');

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'support', '/returns?stage=awaiting_return');
    await page.getByTestId(`received-${asked.id}`).click();
    await page.getByTestId(`received-${asked.id}-confirm`).click();
    await reaches(asked.id, ['inspecting']);
    await page.getByTestId(`return-row-${asked.id}`).waitFor({ state: 'detached' });

    await page.getByText('To inspect', { exact: true }).click();
    await page.getByTestId(`pass-${asked.id}`).click();
    await page.getByRole('dialog').getByRole('textbox').fill('unused, in its box');
    await screenshot(page, 'returns-pass-inspection');
    await page.getByTestId(`pass-${asked.id}-confirm`).click();
    await page.getByTestId(`return-row-${asked.id}`).waitFor({ state: 'detached' });
    const paid = await reaches(asked.id, ['succeeded']);
    expect(paid.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'awaiting_return', 'inspecting', 'refunding', 'succeeded']);

    // the refund's page: its whole history, the order, the mails sent
    await page.goto(`${world.origin}/refunds/${asked.id}`);
    await page.getByText('unused, in its box').waitFor();
    await page.getByRole('link', { name: order.customerId }).waitFor();
    await screenshot(page, 'refund-detail');
    await page.close();
  });

  it('lets an admin inspect a parked message and replay it after a confirmation, once its cause is gone', async () => {
    const run = Date.now().toString(36);
    const sku = `SKU-DL-${run}`;
    const orderId = `ord-dl-${run}`;
    await stock(world, `prod-dl-${run}`, sku, 10);
    const broker = new AmqpBroker({ url: TEST_AMQP_URL, exchange: world.platform.exchange, connectionName: `console-e2e-${run}` });
    try {
      const publish = publisherOn(broker);
      // the capture arrives before inventory knows the order: retried, then parked
      await publish('order.captured', { orderId, customerId: 'cust-dl', email: 'dl@example.com', paymentId: 'pay-dl', amount: 2000, currency: 'EUR' });
      const parked = await waitFor(async () => {
        const list = await world.api.call('inventory', 'GET', '/v1/admin/dead-letters', { token: admin() });
        return list.items.find((item: { content: string }) => item.content.includes(orderId));
      }, { what: 'the capture to be parked', timeoutMs: 20000 });
      // now the order is known and its units reserved: replaying the capture will commit them
      await publish('order.placed', { orderId, customerId: 'cust-dl', email: 'dl@example.com', sellerId: 'seller-console', currency: 'EUR', items: [{ productId: `prod-dl-${run}`, sku, quantity: 2, unitAmount: 1000 }], shippingAmount: 0, totalAmount: 2000 });
      await waitFor(async () => (await world.api.call('inventory', 'GET', `/v1/stock/${sku}`, { token: admin() })).reserved === 2, { what: 'the units reserved' });

      const page = await world.browser.newPage();
      await signIn(page, world.origin, 'admin', '/dead-letters?service=inventory');
      await page.getByTestId(`inspect-${parked.id}`).click();
      await expect(page.getByTestId('dead-letter-content').textContent()).resolves.toContain(orderId);
      await page.getByTestId(`replay-${parked.id}`).click();
      await page.getByRole('dialog').getByText('Replay this message?').waitFor();
      await screenshot(page, 'dead-letter-replay-confirm');
      await page.getByTestId(`replay-${parked.id}-confirm`).click();
      await page.getByTestId(`dead-letter-${parked.id}`).waitFor({ state: 'detached' });
      await screenshot(page, 'dead-letter-replayed');
      await page.close();

      // handled this time: the reserved units left the shelf, once
      const after = await waitFor(async () => {
        const current = await world.api.call('inventory', 'GET', `/v1/stock/${sku}`, { token: admin() });
        return current.reserved === 0 && current;
      }, { what: 'the replayed capture to commit the reservation' });
      expect(after).toMatchObject({ onHand: 8, reserved: 0 });
      const left = await world.api.call('inventory', 'GET', '/v1/admin/dead-letters', { token: admin() });
      expect(left.items.filter((item: { content: string }) => item.content.includes(orderId))).toEqual([]);
    } finally {
      await broker.close();
    }
  });

  it('opens no operator page for a customer’s token: the API refuses it and the page says so', async () => {
    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'customer', '/review');
    await expect(page.getByTestId('operators-only').textContent()).resolves.toContain('You are signed in as Customer');

    const answer = page.waitForResponse((response) => response.url().startsWith(world.platform.url('refund')) && response.url().includes('/v1/admin/dead-letters'));
    await page.goto(`${world.origin}/dead-letters?service=refund`);
    expect((await answer).status()).toBe(403);
    const refusal = page.getByTestId('api-error');
    await expect(refusal.textContent()).resolves.toContain('This action needs one of the roles: admin.');
    await expect(refusal.textContent()).resolves.toContain('HTTP 403');
    await screenshot(page, 'customer-refused');
    await page.close();
  });

  it('shows what needs a person now and the refund charts, in Chinese too, with times in the viewer’s zone', async () => {
    const order = await paidOrder(world, [{ quantity: 1, unitAmount: 9900 }]);
    const waiting = await requestRefund(order);
    expect(waiting.status).toBe('pending_review');
    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', '/');
    await waitFor(async () => Number((await page.getByTestId('tile-review').textContent())?.replace(/\D/g, '')) >= 1, { what: 'the pending reviews counted' });
    await page.getByText('Refunds by outcome').waitFor();
    await expect(page.getByTestId('failure-rate').textContent()).resolves.toMatch(/%/);
    await screenshot(page, 'home');

    await page.getByText('中文').click();
    await page.getByText('当前需要人工处理').waitFor();
    await page.goto(`${world.origin}/refunds?status=pending_review&order=newest`);
    await page.getByText(waiting.id).waitFor();
    // the viewer's zone (Asia/Shanghai here) is named beside every time
    await expect(page.locator('table').textContent()).resolves.toMatch(/GMT\+8|CST/);
    await screenshot(page, 'refunds-zh');
    await page.close();
  });
});
