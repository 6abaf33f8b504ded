import { createHash } from 'node:crypto';
import { AmqpBroker } from '@ebb/messaging';
import { TEST_AMQP_URL, publisherOn, waitFor } from '@ebb/testing';
import { admin, catalogue, consoleForTests, paidOrder, screenshot, signIn, stock, support } from './console-kit';

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
    // one refund that ends, so the failure rate has something to divide whichever tests ran before
    const small = await paidOrder(world, [{ quantity: 1, unitAmount: 1500 }]);
    await reaches((await requestRefund(small)).id, ['succeeded']);
    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', '/');
    await waitFor(async () => Number((await page.getByTestId('tile-review').textContent())?.replace(/\D/g, '')) >= 1, { what: 'the pending reviews counted' });
    await page.getByText('Refunds by outcome').waitFor();
    await waitFor(async () => /%/.test((await page.getByTestId('failure-rate').textContent()) ?? ''), { what: 'the failure rate read from the metrics' });
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

  it('lets an admin run a policy dry run and read its report: each product’s window now and the one recommended, with its rule', async () => {
    const run = Date.now().toString(36);
    const sellerId = `seller-mig-${run}`;
    const course = `prod-course-${run}`;
    const preset = `prod-preset-${run}`;
    await catalogue(world, { productId: course, sellerId, title: 'Watercolour video course for beginners', description: 'twelve lessons' });
    await catalogue(world, { productId: preset, sellerId, title: 'Lightroom preset pack', description: 'forty presets for portraits' });

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', '/policy-migration');
    await page.getByTestId('migration-sellers').fill(sellerId);
    await page.getByTestId('start-dry-run').dblclick();
    await page.getByTestId('migration-status').getByText('Done').waitFor({ timeout: 30000 });

    // the report rows reached the page: the window in force now, the one recommended and why
    const courseRow = page.getByTestId(`report-row-${course}`);
    await expect(courseRow.getByTestId('recommended').textContent()).resolves.toBe('60 days');
    await expect(courseRow.getByTestId('rule').textContent()).resolves.toBe('course');
    await expect(courseRow.textContent()).resolves.toContain('30 daysthe platform default');
    const presetRow = page.getByTestId(`report-row-${preset}`);
    await expect(presetRow.getByTestId('recommended').textContent()).resolves.toBe('7 days');
    await expect(presetRow.getByTestId('rule').textContent()).resolves.toBe('template');
    await screenshot(page, 'policy-migration-dry-run');

    // the run is the page's address: a link shows the same report; a double click started one run
    const id = new URL(page.url()).searchParams.get('id');
    const report = await world.api.call('refund', 'GET', `/v1/admin/policy-migrations/${id}`, { token: admin() });
    expect(report).toMatchObject({ mode: 'dry_run', status: 'done', sellerIds: [sellerId], createdBy: 'admin:admin-dev' });
    expect(report.report.map((row: { productId: string }) => row.productId).sort()).toEqual([course, preset].sort());
    const audit = await world.api.call('refund', 'GET', '/v1/admin/audit', { token: admin() });
    const started = audit.items.filter((entry: { action: string; outcome: string }) => entry.action === 'POST /v1/admin/policy-migrations' && entry.outcome === 'succeeded');
    expect(started).toEqual([expect.objectContaining({ actor: 'admin-dev', target: id })]);
    // a dry run changes no window
    await expect(world.api.call('refund', 'GET', `/v1/refund-policies/products/${course}`, { token: admin() })).resolves.toMatchObject({ windowDays: 30, source: 'default' });
    await page.close();
  });

  it('shows a product’s window now and where it comes from, and a seller rule’s refusal in the API’s words', async () => {
    const run = Date.now().toString(36);
    const sellerId = `seller-rules-${run}`;
    const productId = `prod-rules-${run}`;
    await catalogue(world, { productId, sellerId, title: 'Desk lamp', description: 'brass' });
    await world.api.call('refund', 'PUT', `/v1/refund-policies/sellers/${sellerId}`, { token: admin(), body: { windowDays: 14, maxWindowDays: 30 } });
    const refused = await world.api.request('refund', 'PUT', `/v1/refund-policies/products/${productId}`, { token: admin(), body: { windowDays: 90 } });
    expect(refused.status).toBe(409);
    const message: string = refused.body.error.message;

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', `/policies?productId=${productId}&sellerId=${sellerId}`);
    await expect(page.getByTestId('product-window-now').textContent()).resolves.toBe('14 days the seller’s');
    await page.getByTestId('product-window').fill('90');
    await page.getByTestId('product-save').click();
    const alert = page.getByTestId('api-error');
    await expect(alert.textContent()).resolves.toContain(message);
    await expect(alert.textContent()).resolves.toContain('HTTP 409 · policy_conflict');
    await screenshot(page, 'policy-conflict');
    await page.close();
    await expect(world.api.call('refund', 'GET', `/v1/refund-policies/products/${productId}`, { token: admin() })).resolves.toMatchObject({ windowDays: 14, source: 'seller', ownWindowDays: null });
  });

  it('lets an admin reconcile a day, find a payment Ebb never heard of among its differences, and resolve it with a note', async () => {
    const day = new Date().toISOString().slice(0, 10); // Stripe's day is UTC
    const order = await paidOrder(world, [{ quantity: 1, unitAmount: 2400 }]);
    const refunded = await reaches((await requestRefund(order)).id, ['succeeded']);
    // money taken at the provider outside Ebb (as from its dashboard): no order of Ebb's knows it
    const stranger = await stripeCall(world, '/v1/payment_intents', { amount: '1999', currency: 'eur', confirm: 'true', payment_method: 'pm_card_visa' });

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', '/reconciliation');
    await page.getByTestId('reconcile-date').fill(day);
    await page.getByTestId('reconcile-provider').click();
    await page.getByRole('option', { name: 'stripe' }).click();
    await page.getByTestId('reconcile-start').click();
    const report = page.getByTestId('reconciliation-run');
    await report.getByTestId('reconciliation-status').getByText('Done').waitFor({ timeout: 30000 });
    // the order's payment and its refund matched; the stranger is missing in Ebb, waiting for a person
    expect(Number((await report.getByTestId('matched').textContent())?.replace(/\D/g, ''))).toBeGreaterThanOrEqual(2);
    const row = report.locator('tr', { hasText: stranger.id });
    await expect(row.textContent()).resolves.toMatch(/Missing in Ebb.*€19\.99.*Open/);
    await expect(report.getByTestId('kind-missing_in_ebb').textContent()).resolves.not.toBe('Missing in Ebb: 0');
    // and it waits in the list of open differences, until a person resolves it
    const waiting = page.getByTestId('waiting-differences').locator('tr', { hasText: stranger.id });
    await waiting.waitFor();
    await screenshot(page, 'reconciliation-report');

    const runId = new URL(page.url()).searchParams.get('id');
    const run = await world.api.call('payment', 'GET', `/v1/admin/reconciliations/${runId}`, { token: admin() });
    expect(run.differences.filter((d: { refundId?: string }) => d.refundId === refunded.id)).toEqual([]);
    const difference = run.differences.find((d: { providerPaymentId?: string }) => d.providerPaymentId === stranger.id);
    expect(difference).toMatchObject({ kind: 'missing_in_ebb', object: 'payment', resolution: 'open' });

    await report.getByTestId(`resolve-${difference.id}`).click();
    await page.getByRole('dialog').getByRole('textbox').fill('test payment by finance, refunded in the dashboard');
    await page.getByTestId(`resolve-${difference.id}-confirm`).dblclick();
    await row.getByText('Resolved').waitFor();
    await waiting.waitFor({ state: 'detached' });
    const settled = await world.api.call('payment', 'GET', `/v1/admin/reconciliations/${runId}`, { token: admin() });
    expect(settled.differences.find((d: { id: string }) => d.id === difference.id)).toMatchObject({
      resolution: 'resolved',
      resolvedBy: 'admin:admin-dev',
      note: 'test payment by finance, refunded in the dashboard',
    });
    await page.close();
  });

  it('applies a dry run’s plan after a confirmation, and rolls it back after another', async () => {
    const run = Date.now().toString(36);
    const sellerId = `seller-apply-${run}`;
    const productId = `prod-apply-${run}`;
    await world.api.call('inventory', 'PUT', `/v1/sellers/${sellerId}`, { token: admin(), body: { name: 'Atelier Apply', email: `${sellerId}@example.com` } });
    await catalogue(world, { productId, sellerId, title: 'Online course: bookbinding', description: 'six lessons' });

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'admin', '/policy-migration');
    await page.getByTestId('migration-sellers').fill(sellerId);
    await page.getByTestId('start-dry-run').click();
    await page.getByTestId('migration-status').getByText('Done').waitFor({ timeout: 30000 });
    const dryRun = new URL(page.url()).searchParams.get('id');

    await page.getByTestId('apply').click();
    await page.getByRole('dialog').getByText('Apply this plan?').waitFor();
    await page.getByTestId('apply-confirm').click();
    await page.waitForURL((url) => url.searchParams.get('id') !== dryRun);
    await page.getByTestId('migration-status').getByText('Done').waitFor({ timeout: 30000 });
    await expect(page.getByTestId(`report-row-${productId}`).textContent()).resolves.toContain('applied');
    const applied = new URL(page.url()).searchParams.get('id');
    await expect(world.api.call('refund', 'GET', `/v1/admin/policy-migrations/${applied}`, { token: admin() })).resolves.toMatchObject({ mode: 'apply', sellerIds: [sellerId] });
    await expect(world.api.call('refund', 'GET', `/v1/refund-policies/products/${productId}`, { token: admin() })).resolves.toMatchObject({ ownWindowDays: 60 });

    await page.getByTestId('roll-back').click();
    await page.getByRole('dialog').getByText('Roll this migration back?').waitFor();
    await screenshot(page, 'policy-migration-roll-back');
    await page.getByTestId('roll-back-confirm').click();
    await page.getByTestId('migration-status').getByText('Rolled back').waitFor({ timeout: 30000 });
    await expect(page.getByTestId(`report-row-${productId}`).textContent()).resolves.toContain('restored');
    await expect(world.api.call('refund', 'GET', `/v1/refund-policies/products/${productId}`, { token: admin() })).resolves.toMatchObject({ ownWindowDays: null });
    // the change log tells both changes, each with its run
    await page.goto(`${world.origin}/policy-changes?productId=${productId}`);
    await page.locator('tbody tr').nth(1).waitFor();
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('tbody').textContent()).resolves.toContain(applied!);
    await page.close();
  });

  it('shows a succeeded refund’s voucher: its SHA-256, and a link to the signed document', async () => {
    const order = await paidOrder(world, [{ quantity: 1, unitAmount: 1500 }]);
    const asked = await requestRefund(order);
    const paid = await waitFor(async () => {
      const current = await refund(asked.id);
      return current.voucher && current;
    }, { what: `refund ${asked.id} to have its voucher`, timeoutMs: 30000 });

    const page = await world.browser.newPage();
    await signIn(page, world.origin, 'support', `/refunds/${asked.id}`);
    await expect(page.getByTestId('voucher-sha256').textContent()).resolves.toBe(`SHA-256 ${paid.voucher.sha256}`);
    const href = await page.getByTestId('voucher-link').getAttribute('href');
    await screenshot(page, 'refund-voucher');
    await page.close();
    // the link is the signed URL the API gave: it answers the document whose hash is shown
    const document = await fetch(href!);
    expect(document.status).toBe(200);
    expect(createHash('sha256').update(Buffer.from(await document.arrayBuffer())).digest('hex')).toBe(paid.voucher.sha256);
  });

  it('lets an admin change the per-product rollout after a confirmation, and tells whether it enables a seller', async () => {
    const page = await world.browser.newPage();
    try {
      await signIn(page, world.origin, 'admin', '/rollout?sellerId=seller-console');
      await expect(page.getByTestId('flag-now').textContent()).resolves.toBe('Now: Off');
      await expect(page.getByTestId('seller-reason').textContent()).resolves.toBe('The rollout is off.');
      await page.getByText('All sellers', { exact: true }).click();
      await page.getByTestId('flag-save').click();
      await page.getByRole('dialog').getByText('Change the rollout?').waitFor();
      await page.getByTestId('flag-save-confirm').click();
      await page.getByTestId('flag-now').getByText('Now: All sellers').or(page.getByText('Now: All sellers')).first().waitFor();
      await page.getByText('Enabled', { exact: true }).waitFor();
      await expect(page.getByTestId('seller-reason').textContent()).resolves.toBe('The rollout covers every seller.');
      await screenshot(page, 'rollout-flag');
      await expect(world.api.call('refund', 'GET', '/v1/admin/flags/per-product-policies', { token: admin() })).resolves.toMatchObject({ mode: 'all', updatedBy: 'admin:admin-dev' });
    } finally {
      await page.close();
      // the other tests of this file judge windows with the flag off
      await world.api.call('refund', 'PUT', '/v1/admin/flags/per-product-policies', { token: admin(), body: { mode: 'off' } });
    }
  });
});

/** A call straight at the sandbox's Stripe API, as the provider's dashboard would make it. */
async function stripeCall(world: { platform: { url(app: 'sandbox'): string } }, path: string, form: Record<string, string>) {
  const response = await fetch(`${world.platform.url('sandbox')}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_console_e2e', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { id: string; status: string };
}
