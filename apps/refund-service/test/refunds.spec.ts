import { DataSource } from 'typeorm';
import { LockService } from '@ebb/locking';
import { tokenFor, waitFor } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();

describe('refund-service', () => {
  let bed: RefundTestBed;
  let orderCount = 0;
  const alice = tokenFor('customer', 'cus_alice');
  const bob = tokenFor('customer', 'cus_bob');
  const support = tokenFor('support', 'agent_sam');
  const admin = tokenFor('admin', 'ops_ann');

  beforeAll(async () => {
    // 40 in the order's currency: $40.00, ¥40, 40.000 KWD
    bed = await openRefundTestBed('main', { REFUND_MAX_AUTO_AMOUNT: '40' });
  });
  afterAll(async () => {
    await bed?.close();
  });

  /** A new captured order known to the test's OrderQuery server. */
  const newOrder = (overrides: Parameters<typeof capturedOrder>[1] = {}) => {
    const order = capturedOrder(`ord_${bed.suffix}_${++orderCount}`, overrides);
    bed.orders.set(order.id, order);
    return order;
  };
  const call = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${bed.app.url}${path}`, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const requestRefund = (body: object, token = alice, headers: Record<string, string> = {}) => call('POST', '/v1/refunds', token, body, headers);
  const db = () => bed.app.app.get(DataSource);
  const ledgerOf = async (orderId: string) =>
    (await db().query(`SELECT captured_amount::int AS captured, committed_amount::int AS committed FROM refund_ledgers WHERE order_id = $1`, [orderId]))[0];
  const eventsOf = (refundId: string) => bed.events.filter((event) => event.payload.refundId === refundId);
  const waitForEvent = (refundId: string, type: string, count = 1) =>
    waitFor(() => eventsOf(refundId).filter((event) => event.type === type).length >= count, { what: `${count} × ${type} for ${refundId}` });
  const getRefund = async (id: string, token = support) => json(await call('GET', `/v1/refunds/${id}`, token));
  const paymentResult = (refund: { id: string; orderId: string; amount: number }) => ({
    refundId: refund.id,
    orderId: refund.orderId,
    paymentId: 'pay_1',
    amount: refund.amount,
    currency: 'USD',
  });

  it('approves a refund of an unshipped order within the limit, holds its goods back from shipping, then refunds at once, with history and refund.refunding published', async () => {
    const order = newOrder({ items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 2, unitAmount: 1500, shippedQuantity: 0 }], totalAmount: 3500, capturedAmount: 3500 });
    const response = await requestRefund({ orderId: order.id, reason: 'requested_by_customer', note: 'changed my mind' });
    expect(response.status).toBe(201);
    const refund = await json(response);
    expect(refund).toMatchObject({
      orderId: order.id,
      status: 'refunding',
      amount: 3500,
      currency: 'USD',
      reason: 'requested_by_customer',
      initiator: 'customer',
    });
    expect(refund.id).toMatch(/^ref_/);
    expect(refund.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'refunding']);
    expect(refund.history[0]).toMatchObject({ actor: 'customer:cus_alice', note: 'changed my mind' });
    expect(refund.history[1].actor).toBe('system');
    expect(await getRefund(refund.id)).toEqual(refund);

    await waitForEvent(refund.id, 'refund.refunding');
    // one transaction took it from requested to refunding: one event tells the three steps
    expect(eventsOf(refund.id).map((event) => event.type)).toEqual(['refund.refunding']);
    expect(eventsOf(refund.id)[0].payload).toEqual({
      refundId: refund.id,
      orderId: order.id,
      customerId: 'cus_alice',
      email: 'alice@example.com',
      status: 'refunding',
      amount: 3500,
      currency: 'USD',
      reason: 'requested_by_customer',
      initiator: 'customer',
      shipped: false,
      note: 'the goods are held back from shipping',
      // the goods never left: on success they go back on hand
      restockItems: [{ sku: 'SKU-A', quantity: 2 }],
      steps: ['requested', 'approved', 'refunding'],
      locale: 'en',
      sellerId: order.sellerId,
    });
    expect(bed.orderQuery.held.get(refund.id)).toEqual({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 2 }], held: true });
    expect(await ledgerOf(order.id)).toEqual({ captured: 3500, committed: 3500 });
  });

  it('pays a refund of money only at once: nothing is held back from shipping', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 700, reason: 'goodwill' }));
    expect(refund.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'refunding']);
    expect(bed.orderQuery.held.has(refund.id)).toBe(false);
    await waitForEvent(refund.id, 'refund.refunding');
    expect(eventsOf(refund.id).find((event) => event.type === 'refund.refunding')!.payload.restockItems).toEqual([]);
  });

  it('waits in approved while order-service cannot hold the goods, answers at once, and refunds once it can', async () => {
    const order = newOrder();
    bed.orderQuery.failHolds(2);
    const response = await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-B', quantity: 1 }], reason: 'damaged' }, alice, { 'idempotency-key': `hold-down-${order.id}` });
    expect(response.status).toBe(201);
    const refund = await json(response);
    expect(refund.status).toBe('approved');
    expect(bed.events.some((event) => event.type === 'refund.refunding' && event.payload.refundId === refund.id)).toBe(false);
    await waitForEvent(refund.id, 'refund.refunding');
    const settled = await getRefund(refund.id);
    expect(settled.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'refunding']);
    expect(bed.orderQuery.held.get(refund.id)).toMatchObject({ items: [{ sku: 'SKU-B', quantity: 1 }], held: true });
    // the first answer stays the answer of that key
    const again = await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-B', quantity: 1 }], reason: 'damaged' }, alice, { 'idempotency-key': `hold-down-${order.id}` });
    expect(await json(again)).toEqual(refund);
  });

  it('waits for the goods instead when the order shipped before they could be held', async () => {
    const order = newOrder();
    bed.orderQuery.failHolds(1);
    const refund = await json(await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 1 }], reason: 'damaged' }));
    expect(refund.status).toBe('approved');
    // the parcel leaves before order-service could be asked again: it holds nothing now
    bed.orders.set(order.id, { ...order, fulfillmentStatus: 'delivered', shippedAt: new Date().toISOString(), deliveredAt: new Date().toISOString() });
    await waitForEvent(refund.id, 'refund.awaiting_return');
    const waiting = await getRefund(refund.id);
    expect(waiting.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'awaiting_return']);
    expect(bed.orderQuery.held.get(refund.id)).toMatchObject({ held: false });
    expect(bed.events.some((event) => event.type === 'refund.refunding' && event.payload.refundId === refund.id)).toBe(false);
  });

  it('marks a refund succeeded once when payment-service reports success, and ignores the repeat and a late failure', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 1000, reason: 'damaged' }));
    const messageId = await bed.publish('payment.refund_succeeded', { ...paymentResult(refund), providerRefundId: 're_123' });
    await waitForEvent(refund.id, 'refund.succeeded');
    await bed.publish('payment.refund_succeeded', { ...paymentResult(refund), providerRefundId: 're_123' }, messageId);
    await bed.publish('payment.refund_failed', { ...paymentResult(refund), reason: 'late and stale' });
    const stored = await waitFor(async () => {
      const [row] = await db().query(`SELECT count(*)::int AS n FROM inbox WHERE handler = 'refunds.settle-failed-refund'`);
      return row.n >= 1 && getRefund(refund.id);
    });
    expect(stored).toMatchObject({ status: 'succeeded', providerRefundId: 're_123' });
    expect(stored.failureReason).toBeUndefined();
    expect(stored.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'refunding', 'succeeded']);
    expect(eventsOf(refund.id).filter((event) => event.type === 'refund.succeeded')).toHaveLength(1);
    expect(eventsOf(refund.id).some((event) => event.type === 'refund.failed')).toBe(false);
    expect(eventsOf(refund.id).find((event) => event.type === 'refund.succeeded')!.payload).toMatchObject({ providerRefundId: 're_123', status: 'succeeded' });
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 1000 });
  });

  it('accepts exactly one of 50 concurrent full refunds of one order, and the ledger ends equal to the capture', async () => {
    const order = newOrder();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => requestRefund({ orderId: order.id, amount: 5500, reason: 'requested_by_customer' })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.every((status) => status === 201 || status === 409 || status === 422)).toBe(true);
    const refusals = await Promise.all(responses.filter((response) => response.status !== 201).map(json));
    expect(new Set(refusals.map((body) => body.error.code))).toEqual(
      new Set(refusals.map((body) => body.error.code).filter((code) => ['amount_exceeds_refundable', 'refund_in_progress'].includes(code))),
    );
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 5500 });
    const [row] = await db().query(`SELECT count(*)::int AS n, sum(amount)::int AS total FROM refunds WHERE order_id = $1`, [order.id]);
    expect(row).toEqual({ n: 1, total: 5500 });
  });

  it('accepts exactly 16 of 20 concurrent refunds of 300 on an order of 5000', async () => {
    const order = newOrder({ totalAmount: 5000, capturedAmount: 5000, shippingAmount: 0 });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => requestRefund({ orderId: order.id, amount: 300, reason: 'price_error' }, support)),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(16);
    expect(statuses.filter((status) => status === 422)).toHaveLength(4);
    expect(await ledgerOf(order.id)).toEqual({ captured: 5000, committed: 4800 });
  });

  it('sends a refund above the automatic limit to review, and support approval starts refunding', async () => {
    const order = newOrder();
    const response = await requestRefund({ orderId: order.id, amount: 4500, reason: 'not_as_described' });
    expect(response.status).toBe(201);
    const refund = await json(response);
    expect(refund.status).toBe('pending_review');
    expect(refund.history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'pending_review']);
    await waitForEvent(refund.id, 'refund.pending_review');

    const byCustomer = await call('POST', `/v1/refunds/${refund.id}/approve`, alice, {});
    expect(byCustomer.status).toBe(403);

    const approved = await call('POST', `/v1/refunds/${refund.id}/approve`, support, { note: 'photos checked' });
    expect(approved.status).toBe(200);
    const body = await json(approved);
    expect(body.status).toBe('refunding');
    expect(body.history.slice(2)).toMatchObject([
      { status: 'approved', actor: 'support:agent_sam', note: 'photos checked' },
      { status: 'refunding', actor: 'system' },
    ]);
    await waitForEvent(refund.id, 'refund.refunding');

    const again = await call('POST', `/v1/refunds/${refund.id}/approve`, support, {});
    expect(again.status).toBe(409);
    expect((await json(again)).error).toMatchObject({ code: 'invalid_refund_transition', details: { from: 'refunding', action: 'approve' } });
  });

  it('reads the automatic approval limit in major units of the order’s currency (0, 2 and 3 digits)', async () => {
    const cases = [
      { currency: 'JPY', amount: 40, status: 'refunding' },
      { currency: 'JPY', amount: 41, status: 'pending_review' },
      { currency: 'USD', amount: 4000, status: 'refunding' },
      { currency: 'USD', amount: 4001, status: 'pending_review' },
      { currency: 'KWD', amount: 40000, status: 'refunding' },
      { currency: 'KWD', amount: 40001, status: 'pending_review' },
    ];
    for (const { currency, amount, status } of cases) {
      const order = newOrder({
        currency,
        items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 1, unitAmount: amount, shippedQuantity: 0 }],
        shippingAmount: 0,
        totalAmount: amount,
        capturedAmount: amount,
      });
      const response = await requestRefund({ orderId: order.id, reason: 'requested_by_customer' });
      expect(response.status).toBe(201);
      const refund = await json(response);
      expect({ currency, amount, status: refund.status }).toEqual({ currency, amount, status });
      if (status === 'pending_review') {
        expect(refund.history.at(-1).note).toBe(`above the automatic approval limit of ${currency} ${{ JPY: '40', USD: '40.00', KWD: '40.000' }[currency]}`);
      }
    }
  });

  it('refuses a line refund whose amount exceeds its lines, and a quantity no order can hold, with 4xx and nothing written', async () => {
    const order = newOrder();
    const over = await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-B', quantity: 1 }], amount: 2001, reason: 'damaged' });
    expect(over.status).toBe(422);
    expect((await json(over)).error).toMatchObject({ code: 'amount_exceeds_refundable', details: { amount: 2001, linesValue: 2000 } });
    const huge = await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 2 ** 53 }], reason: 'damaged' });
    expect(huge.status).toBe(400);
    expect((await json(huge)).error).toMatchObject({ code: 'validation_error', details: expect.arrayContaining([{ field: 'items.0.quantity', message: 'is too large' }]) });
    expect(await ledgerOf(order.id)).toBeUndefined();
    const exact = await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-B', quantity: 1 }], amount: 2000, reason: 'damaged' });
    expect(exact.status).toBe(201);
  });

  describe('a shipped order', () => {
    /** In transit, 3000 captured (two SKU-A): within the automatic approval limit of 4000 when refunded whole. */
    const inTransit = (trackingNumber: string) =>
      newOrder({
        fulfillmentStatus: 'shipped',
        carrier: 'dhl',
        trackingNumber,
        shippedAt: new Date().toISOString(),
        items: [{ productId: 'prod_a', sku: 'SKU-A', quantity: 2, unitAmount: 1500, shippedQuantity: 2 }],
        shippingAmount: 0,
        totalAmount: 3000,
        capturedAmount: 3000,
      });
    const statusesOf = (refund: { history: { status: string }[] }) => refund.history.map((entry) => entry.status);

    it('asks the carrier to stop a parcel in transit refunded whole; stopped, it is refunded at once and its goods restocked on success', async () => {
      const order = inTransit(`TRK-${orderCount}`);
      const refund = await json(await requestRefund({ orderId: order.id, reason: 'requested_by_customer' }));
      expect(refund.status).toBe('intercepting');
      await waitForEvent(refund.id, 'refund.refunding');
      const refunding = eventsOf(refund.id).find((event) => event.type === 'refund.refunding')!;
      expect(refunding.payload).toMatchObject({ shipped: true, restock: true, amount: 3000 });
      const stored = await getRefund(refund.id);
      expect(statusesOf(stored)).toEqual(['requested', 'approved', 'intercepting', 'refunding']);
      expect(stored.history[3]).toMatchObject({ actor: 'carrier', note: `parcel ${order.trackingNumber} stopped by dhl` });

      await bed.publish('payment.refund_succeeded', { ...paymentResult(refund), providerRefundId: 're_stopped' });
      await waitForEvent(refund.id, 'refund.succeeded');
      expect(eventsOf(refund.id).find((event) => event.type === 'refund.succeeded')!.payload).toMatchObject({ restock: true, shipped: true });
    });

    it('asks the carrier with no row locked, and refuses a cancel as temporary until it answered: a parcel already stopped is refunded, not cancelled', async () => {
      const faults = (body: object) => fetch(`${bed.sandboxUrl}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await faults({ carrierLatencyMs: 1500 });
      try {
        const order = inTransit(`TRK-${orderCount}-SLOW`);
        const refund = await json(await requestRefund({ orderId: order.id, reason: 'requested_by_customer' }));
        expect(refund.status).toBe('intercepting');
        // the carrier is being asked: a call in flight, and nothing holds the refund's row meanwhile
        await waitFor(
          async () => (await db().query(`SELECT 1 FROM outbound_calls WHERE kind = 'carrier.intercept-parcel' AND key = $1 AND status = 'calling'`, [refund.id])).length === 1,
          { what: 'the carrier call to be in flight', intervalMs: 20 },
        );
        expect(await db().query(`SELECT status FROM refunds WHERE id = $1 FOR UPDATE NOWAIT`, [refund.id])).toEqual([{ status: 'intercepting' }]);
        // the customer changes their mind: not now (the parcel may be stopped already), and not stored as the key's answer
        const cancel = await call('POST', `/v1/refunds/${refund.id}/cancel`, alice, undefined, { 'idempotency-key': `cancel-${refund.id}` });
        expect(cancel.status).toBe(409);
        expect((await json(cancel)).error.code).toBe('refund_in_progress');
        await waitForEvent(refund.id, 'refund.refunding');
        const again = await call('POST', `/v1/refunds/${refund.id}/cancel`, alice, undefined, { 'idempotency-key': `cancel-${refund.id}` });
        expect(again.status).toBe(409);
        expect((await json(again)).error.details).toEqual({ from: 'refunding', action: 'cancel' });
        expect((await getRefund(refund.id)).status).toBe('refunding');
      } finally {
        await faults({ carrierLatencyMs: 0 });
      }
    });

    it('asks a carrier that fails again with backoff, and moves the refund on once it answers', async () => {
      const faults = (body: object) => fetch(`${bed.sandboxUrl}/__sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const order = inTransit(`TRK-${orderCount}-DOWN`);
      await faults({ errorRate: 1 });
      let refund: { id: string; status: string };
      try {
        refund = await json(await requestRefund({ orderId: order.id, reason: 'requested_by_customer' }));
        expect(refund.status).toBe('intercepting');
        const callOf = async () =>
          (await db().query(`SELECT status, attempts, last_error FROM outbound_calls WHERE kind = 'carrier.intercept-parcel' AND key = $1`, [refund.id]))[0];
        const retrying = await waitFor(
          async () => {
            const row = await callOf();
            return row?.attempts >= 2 && row.status === 'due' && row;
          },
          { what: 'a second failed attempt, and a third scheduled' },
        );
        expect(retrying.last_error).toMatch(/carrier dhl answered 500/);
        expect((await getRefund(refund.id)).status).toBe('intercepting');
      } finally {
        await faults({ errorRate: 0 });
      }
      await waitForEvent(refund.id, 'refund.refunding');
      expect((await getRefund(refund.id)).history.at(-1)).toMatchObject({ status: 'refunding', actor: 'carrier' });
    });

    it('waits for a parcel too late to stop, and pays only once support received it and it passed inspection', async () => {
      const order = inTransit(`TRK-${orderCount}-LATE`);
      const refund = await json(await requestRefund({ orderId: order.id, reason: 'damaged' }));
      await waitForEvent(refund.id, 'refund.awaiting_return');
      expect(eventsOf(refund.id).some((event) => event.type === 'refund.refunding')).toBe(false);
      expect(await ledgerOf(order.id)).toEqual({ captured: 3000, committed: 3000 });

      expect((await call('POST', `/v1/refunds/${refund.id}/return-received`, alice)).status).toBe(403);
      const early = await call('POST', `/v1/refunds/${refund.id}/inspection`, support, { result: 'passed' });
      expect(early.status).toBe(409);
      expect((await json(early)).error).toMatchObject({
        code: 'invalid_refund_transition',
        message: 'An awaiting_return refund cannot pass inspection.',
        details: { from: 'awaiting_return', action: 'pass_inspection' },
      });

      const received = await call('POST', `/v1/refunds/${refund.id}/return-received`, support);
      expect(received.status).toBe(200);
      expect(await json(received)).toMatchObject({ status: 'inspecting' });
      const unclear = await call('POST', `/v1/refunds/${refund.id}/inspection`, support, { result: 'maybe' });
      expect(unclear.status).toBe(400);
      expect((await json(unclear)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'result' }] });
      expect((await getRefund(refund.id)).status).toBe('inspecting');

      const passed = await call('POST', `/v1/refunds/${refund.id}/inspection`, support, { result: 'passed', note: 'as new' });
      expect(passed.status).toBe(200);
      const view = await json(passed);
      expect(statusesOf(view)).toEqual(['requested', 'approved', 'intercepting', 'awaiting_return', 'inspecting', 'refunding']);
      expect(view.history[5]).toMatchObject({ actor: 'support:agent_sam', note: 'as new' });
      await waitForEvent(refund.id, 'refund.refunding');
      expect(eventsOf(refund.id).find((event) => event.type === 'refund.refunding')!.payload).toMatchObject({ restock: true, amount: 3000 });
    });

    it('waits for the return of a delivered order without asking the carrier, and rejects it when inspection fails', async () => {
      const order = newOrder({ fulfillmentStatus: 'delivered', carrier: 'dhl', trackingNumber: 'TRK-D', deliveredAt: new Date().toISOString() });
      const refund = await json(await requestRefund({ orderId: order.id, amount: 1000, reason: 'not_as_described' }));
      expect(refund.status).toBe('awaiting_return');
      expect(statusesOf(refund)).toEqual(['requested', 'approved', 'awaiting_return']);
      await call('POST', `/v1/refunds/${refund.id}/return-received`, support);
      const failed = await call('POST', `/v1/refunds/${refund.id}/inspection`, support, { result: 'failed' });
      expect(await json(failed)).toMatchObject({ status: 'rejected' });
      await waitForEvent(refund.id, 'refund.rejected');
      // no note from support: the customer still hears why
      expect(eventsOf(refund.id).find((event) => event.type === 'refund.rejected')!.payload).toMatchObject({ note: 'the returned goods did not pass inspection' });
      expect(eventsOf(refund.id).map((event) => event.type)).not.toContain('refund.intercepting');
      expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 0 });
    });

    it('waits for the return of part of a parcel in transit: stopping the parcel would bring back every line', async () => {
      const order = inTransit(`TRK-${orderCount}-PART`);
      const refund = await json(await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 1 }], reason: 'damaged' }));
      expect(refund).toMatchObject({ status: 'awaiting_return', amount: 1500 });
      expect(refund.history[2]).toMatchObject({ status: 'awaiting_return', note: 'part of a parcel in transit: it comes back once delivered' });
    });

    it('lets the customer cancel while the return is awaited, and intercepts what support approves above the limit', async () => {
      const delivered = newOrder({ fulfillmentStatus: 'delivered', carrier: 'dhl', trackingNumber: 'TRK-C' });
      const awaiting = await json(await requestRefund({ orderId: delivered.id, amount: 1000, reason: 'requested_by_customer' }));
      const cancelled = await call('POST', `/v1/refunds/${awaiting.id}/cancel`, alice);
      expect(await json(cancelled)).toMatchObject({ status: 'cancelled' });
      expect(await ledgerOf(delivered.id)).toEqual({ captured: 5500, committed: 0 });

      const order = newOrder({ fulfillmentStatus: 'shipped', carrier: 'dhl', trackingNumber: `TRK-${orderCount}-BIG` });
      const big = await json(await requestRefund({ orderId: order.id, reason: 'damaged' }));
      expect(big.status).toBe('pending_review');
      const approved = await call('POST', `/v1/refunds/${big.id}/approve`, support, { note: 'ok' });
      expect(await json(approved)).toMatchObject({ status: 'intercepting' });
      await waitForEvent(big.id, 'refund.refunding');
    });
  });

  it('rejects a pending refund with its reason and gives its amount back to the order', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, reason: 'goodwill' }, support));
    expect(refund).toMatchObject({ status: 'pending_review', amount: 5500, initiator: 'support' });
    const noReason = await call('POST', `/v1/refunds/${refund.id}/reject`, support, {});
    expect(noReason.status).toBe(400);
    expect((await json(noReason)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'reason' }] });

    const rejected = await call('POST', `/v1/refunds/${refund.id}/reject`, support, { reason: 'outside policy' });
    expect(rejected.status).toBe(200);
    expect(await json(rejected)).toMatchObject({ status: 'rejected', history: [{}, {}, { status: 'rejected', note: 'outside policy' }] });
    await waitForEvent(refund.id, 'refund.rejected');
    expect(eventsOf(refund.id).find((event) => event.type === 'refund.rejected')!.payload.note).toBe('outside policy');
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 0 });

    const cancel = await call('POST', `/v1/refunds/${refund.id}/cancel`, alice);
    expect(cancel.status).toBe(409);
    expect((await json(cancel)).error.details).toEqual({ from: 'rejected', action: 'cancel' });
  });

  it('lets a customer cancel their pending refund but not another customer’s, nor one already refunding', async () => {
    const order = newOrder();
    const pending = await json(await requestRefund({ orderId: order.id, amount: 4200, reason: 'wrong_item' }));
    expect(pending.status).toBe('pending_review');

    const byBob = await call('POST', `/v1/refunds/${pending.id}/cancel`, bob);
    expect(byBob.status).toBe(404);
    expect((await json(byBob)).error.code).toBe('refund_not_found');

    const cancelled = await call('POST', `/v1/refunds/${pending.id}/cancel`, alice);
    expect(cancelled.status).toBe(200);
    expect((await json(cancelled)).status).toBe('cancelled');
    await waitForEvent(pending.id, 'refund.cancelled');
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 0 });

    const refunding = await json(await requestRefund({ orderId: order.id, amount: 1000, reason: 'wrong_item' }));
    expect(refunding.status).toBe('refunding');
    const tooLate = await call('POST', `/v1/refunds/${refunding.id}/cancel`, alice);
    expect(tooLate.status).toBe(409);
    expect((await json(tooLate)).error).toMatchObject({
      code: 'invalid_refund_transition',
      details: { from: 'refunding', action: 'cancel' },
    });
    expect((await getRefund(refunding.id)).status).toBe('refunding');
  });

  it('lets an admin retry a failed refund: it is refunding again and refund.refunding is published again', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 2000, reason: 'out_of_stock' }, support));
    await bed.publish('payment.refund_failed', { ...paymentResult(refund), reason: 'card expired' });
    await waitForEvent(refund.id, 'refund.failed');
    const failed = await getRefund(refund.id);
    expect(failed).toMatchObject({ status: 'failed', failureReason: 'card expired' });
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 0 });

    const bySupport = await call('POST', `/v1/refunds/${refund.id}/retry`, support);
    expect(bySupport.status).toBe(403);
    const retried = await call('POST', `/v1/refunds/${refund.id}/retry`, admin);
    expect(retried.status).toBe(200);
    const body = await json(retried);
    expect(body.status).toBe('refunding');
    expect(body.failureReason).toBeUndefined();
    expect(body.history.at(-1)).toMatchObject({ status: 'refunding', actor: 'admin:ops_ann' });
    await waitForEvent(refund.id, 'refund.refunding', 2);
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 2000 });

    const retryAgain = await call('POST', `/v1/refunds/${refund.id}/retry`, admin);
    expect(retryAgain.status).toBe(409);
    expect((await json(retryAgain)).error.details).toEqual({ from: 'refunding', action: 'retry' });
  });

  it('refuses to retry a failed refund whose amount a later refund took (422 amount_exceeds_refundable), and changes nothing', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 4000, reason: 'out_of_stock' }, support));
    await bed.publish('payment.refund_failed', { ...paymentResult(refund), reason: 'card expired' });
    await waitForEvent(refund.id, 'refund.failed');
    // the failure gave the 4000 back; a new refund takes most of it
    // above the limit it waits for a person, its amount held on the ledger all the same
    const later = await json(await requestRefund({ orderId: order.id, amount: 5000, reason: 'damaged' }, support));
    expect(later.status).toBe('pending_review');
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 5000 });

    const retried = await call('POST', `/v1/refunds/${refund.id}/retry`, admin);
    expect(retried.status).toBe(422);
    expect((await json(retried)).error.code).toBe('amount_exceeds_refundable');
    expect(await getRefund(refund.id)).toMatchObject({ status: 'failed', failureReason: 'card expired' });
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 5000 });
  });

  it('queues an operator retry and a payment result on one order instead of deadlocking (ledger, then refund, everywhere)', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 1200, reason: 'damaged' }, support));
    await bed.publish('payment.refund_failed', { ...paymentResult(refund), reason: 'card expired' });
    await waitForEvent(refund.id, 'refund.failed');
    const retriedResults = async () => {
      const text = await (await fetch(`${bed.app.url}/metrics`)).text();
      return Number(/messages_consumed_total\{[^}]*handler="refund-succeeded"[^}]*outcome="retried"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const retriedBefore = await retriedResults();

    // hold the order's ledger, so both writers arrive while it is taken, then let them go together
    const blocker = db().createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT 1 FROM refund_ledgers WHERE order_id = $1 FOR UPDATE`, [order.id]);
    const waiting = async () =>
      (await db().query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n;
    // the retry first in the queue, then the payment result: the order that deadlocked when they took the locks in opposite orders
    const retry = call('POST', `/v1/refunds/${refund.id}/retry`, admin);
    await waitFor(async () => (await waiting()) >= 1, { what: 'the retry to wait on the ledger' });
    await bed.publish('payment.refund_succeeded', { ...paymentResult(refund), providerRefundId: `re_late_${refund.id}` });
    await waitFor(async () => (await waiting()) >= 2, { what: 'the payment result to wait too' });
    await blocker.commitTransaction();
    await blocker.release();

    const answer = await retry;
    // whichever came first, neither was aborted as a deadlock victim
    expect([200, 409]).toContain(answer.status);
    await waitForEvent(refund.id, 'refund.succeeded');
    const settled = await getRefund(refund.id);
    expect(settled.status).toBe('succeeded');
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 1200 });
    // no deadlock victim had to be retried either
    expect(await retriedResults()).toBe(retriedBefore);
  });

  it('pays back a duplicate capture by itself, once however often it is seen, from that payment and not the order', async () => {
    const order = newOrder();
    const duplicate = { paymentId: `pay_dup_${order.id}`, orderId: order.id, customerId: 'cus_alice', email: 'alice@example.com', provider: 'stripe', providerPaymentId: 'pi_dup', amount: 3000, currency: 'USD', cause: 'second_capture' };
    await bed.publish('payment.duplicate_captured', duplicate);
    await bed.publish('payment.duplicate_captured', duplicate);
    const refunding = await waitFor(() => bed.events.find((event) => event.type === 'refund.refunding' && event.payload.paymentId === duplicate.paymentId), { what: 'the system refund' });
    expect(refunding.payload).toMatchObject({ orderId: order.id, amount: 3000, reason: 'duplicate_payment', initiator: 'system', shipped: false, restockItems: [] });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const all = (await json(await call('GET', `/v1/refunds?orderId=${order.id}`, support))).items;
    expect(all).toHaveLength(1);
    expect(all[0].history.map((entry: { status: string }) => entry.status)).toEqual(['requested', 'approved', 'refunding']);
    // its own ledger: the order's whole capture is still refundable
    expect(await ledgerOf(order.id)).toBeUndefined();
    expect((await requestRefund({ orderId: order.id, reason: 'requested_by_customer' })).status).toBe(201);
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 5500 });
  });

  it('pays back money the provider took for an order already cancelled, once', async () => {
    const order = newOrder({ status: 'cancelled', capturedAmount: 3000, totalAmount: 3000 });
    const captured = { orderId: order.id, customerId: 'cus_alice', email: 'alice@example.com', paymentId: `pay_${order.id}`, amount: 3000, currency: 'USD' };
    await bed.publish('order.captured_after_cancel', captured);
    await bed.publish('order.captured_after_cancel', captured);
    const refunding = await waitFor(() => bed.events.find((event) => event.type === 'refund.refunding' && event.payload.orderId === order.id), { what: 'the system refund' });
    expect(refunding.payload).toMatchObject({ amount: 3000, initiator: 'system', reason: 'other' });
    expect(refunding.payload.paymentId).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await json(await call('GET', `/v1/refunds?orderId=${order.id}`, support))).items).toHaveLength(1);
    expect(await ledgerOf(order.id)).toEqual({ captured: 3000, committed: 3000 });
  });

  it('answers 409 refund_in_progress while another holder keeps the order locked, and writes nothing', async () => {
    const order = newOrder();
    const key = { 'idempotency-key': `busy-${order.id}` };
    const response = await bed.app.app
      .get(LockService)
      .withLock(`order:${order.id}`, () => requestRefund({ orderId: order.id, amount: 100, reason: 'damaged' }, alice, key), { maxWaitMs: 0 });
    expect(response.status).toBe(409);
    expect((await json(response)).error.code).toBe('refund_in_progress');
    expect(await ledgerOf(order.id)).toBeUndefined();
    // a busy lock is "not now", never the answer of the key: the shop's retry under the same key runs
    const retried = await requestRefund({ orderId: order.id, amount: 100, reason: 'damaged' }, alice, key);
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('parks a payment result for a refund it does not know, for an operator to see', async () => {
    const refundId = `ref_${bed.suffix}_unknown`;
    await bed.publish('payment.refund_succeeded', { refundId, orderId: 'ord_x', paymentId: 'pay_x', amount: 100, currency: 'USD', providerRefundId: 're_x' });
    const parked = await waitFor(async () => {
      const { items } = await json(await call('GET', '/v1/admin/dead-letters', admin));
      return items.find((item: { content: string }) => item.content.includes(refundId));
    }, { what: 'the unknown refund result to be parked' });
    expect(parked).toMatchObject({ handler: 'refunds.settle-succeeded-refund', type: 'payment.refund_succeeded', attempts: 4 });
    expect(parked.error).toContain(refundId);
  });

  it('refuses every invalid request with its status and code, and writes nothing', async () => {
    const order = newOrder();
    const unpaid = newOrder({ capturedAmount: 0, paymentStatus: 'pending', status: 'pending_payment' });
    const counts = async () =>
      (await db().query(`SELECT (SELECT count(*) FROM refunds)::int AS refunds, (SELECT last_value FROM outbox_id_seq)::text AS outbox`))[0]; // the relay deletes published rows meanwhile: count what was written
    const before = await counts();
    const valid = { orderId: order.id, reason: 'damaged' };
    const cases: [string, unknown, string | undefined, number, string, unknown?][] = [
      ['amount zero', { ...valid, amount: 0 }, alice, 400, 'validation_error', [{ field: 'amount' }]],
      ['amount a fraction', { ...valid, amount: 12.5 }, alice, 400, 'validation_error', [{ field: 'amount' }]],
      ['amount a string', { ...valid, amount: '100' }, alice, 400, 'validation_error', [{ field: 'amount' }]],
      ['amount negative', { ...valid, amount: -5 }, alice, 400, 'validation_error', [{ field: 'amount' }]],
      ['unknown reason', { ...valid, reason: 'bored' }, alice, 400, 'validation_error', [{ field: 'reason' }]],
      ['no reason', { orderId: order.id }, alice, 400, 'validation_error', [{ field: 'reason' }]],
      ['no order id', { reason: 'damaged' }, alice, 400, 'validation_error', [{ field: 'orderId' }]],
      ['unknown field', { ...valid, refundTo: 'elsewhere' }, alice, 400, 'validation_error', [{ field: 'refundTo' }]],
      ['not an object', '"refund please"', alice, 400, 'validation_error'],
      ['malformed JSON', '{"orderId":', alice, 400, 'malformed_json'],
      ['zero quantity', { ...valid, items: [{ sku: 'SKU-A', quantity: 0 }] }, alice, 400, 'validation_error', [{ field: 'items.0.quantity' }]],
      ['sku listed twice', { ...valid, items: [{ sku: 'SKU-A', quantity: 1 }, { sku: 'SKU-A', quantity: 1 }] }, alice, 400, 'validation_error', [{ field: 'items.1.sku' }]],
      ['sku not on the order', { ...valid, items: [{ sku: 'SKU-Z', quantity: 1 }] }, alice, 400, 'validation_error', [{ field: 'items.0.sku' }]],
      ['customer as support', { ...valid, initiator: 'support' }, alice, 400, 'validation_error', [{ field: 'initiator' }]],
      ['more units than ordered', { ...valid, items: [{ sku: 'SKU-A', quantity: 3 }] }, alice, 422, 'quantity_exceeds_ordered', [{ sku: 'SKU-A', requested: 3, remaining: 2 }]],
      ['more than captured', { ...valid, amount: 5501 }, alice, 422, 'amount_exceeds_refundable', { amount: 5501, refundable: 5500 }],
      ['unknown order', { ...valid, orderId: `ord_${bed.suffix}_missing` }, alice, 404, 'order_not_found'],
      ['another customer’s order', valid, bob, 404, 'order_not_found'],
      ['nothing captured', { ...valid, orderId: unpaid.id }, alice, 409, 'order_not_refundable'],
      ['no token', valid, undefined, 401, 'unauthorized'],
      ['a forged token', valid, tokenFor('admin', 'mallory', 'not-the-secret'), 401, 'unauthorized'],
    ];
    for (const [name, body, token, status, code, details] of cases) {
      const response = await call('POST', '/v1/refunds', token, body);
      const answer = await json(response);
      expect({ name, status: response.status, code: answer.error?.code }).toEqual({ name, status, code });
      if (details !== undefined) expect({ name, details: answer.error.details }).toMatchObject({ name, details });
    }
    expect(await counts()).toEqual(before);
    // not even the order's ledger row was created
    expect(await ledgerOf(order.id)).toBeUndefined();
  });

  it('refunds the value of the lines asked for, and no more units than remain of a sku', async () => {
    const order = newOrder();
    const first = await json(await requestRefund({ orderId: order.id, reason: 'damaged', items: [{ sku: 'SKU-A', quantity: 1 }] }));
    expect(first).toMatchObject({ status: 'refunding', amount: 1500, items: [{ sku: 'SKU-A', quantity: 1 }] });
    await waitForEvent(first.id, 'refund.refunding');
    expect(eventsOf(first.id)[0].payload.items).toEqual([{ sku: 'SKU-A', quantity: 1 }]);

    const tooMany = await requestRefund({ orderId: order.id, reason: 'damaged', items: [{ sku: 'SKU-A', quantity: 2 }] });
    expect(tooMany.status).toBe(422);
    expect((await json(tooMany)).error).toMatchObject({ code: 'quantity_exceeds_ordered', details: [{ sku: 'SKU-A', remaining: 1 }] });

    const rest = await json(
      await requestRefund({ orderId: order.id, reason: 'damaged', items: [{ sku: 'SKU-A', quantity: 1 }, { sku: 'SKU-B', quantity: 1 }] }),
    );
    expect(rest.amount).toBe(3500);
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 5000 });
    const nothingLeft = await requestRefund({ orderId: order.id, reason: 'damaged', amount: 501 });
    expect(nothingLeft.status).toBe(422);
  });

  it('answers a repeated Idempotency-Key with the same refund, and refuses the key with another body', async () => {
    const order = newOrder();
    const key = `refund-${order.id}`;
    const first = await requestRefund({ orderId: order.id, amount: 700, reason: 'goodwill' }, support, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const again = await requestRefund({ orderId: order.id, amount: 700, reason: 'goodwill' }, support, { 'Idempotency-Key': key });
    expect(again.status).toBe(201);
    expect(await json(again)).toEqual(await json(first));
    const other = await requestRefund({ orderId: order.id, amount: 800, reason: 'goodwill' }, support, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
    expect((await json(other)).error.code).toBe('idempotency_key_reused');
    const [row] = await db().query(`SELECT count(*)::int AS n FROM refunds WHERE order_id = $1`, [order.id]);
    expect(row.n).toBe(1);
    expect(await ledgerOf(order.id)).toEqual({ captured: 5500, committed: 700 });
  });

  it('keeps each request’s Idempotency-Key to its own refund when many wait on their goods being held at once', async () => {
    // the holds' answers are recorded together, in one transaction whoever's request started it: each key must still name its own refund
    const orders = Array.from({ length: 12 }, () => newOrder());
    const answers = await Promise.all(
      orders.map((order) => requestRefund({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 1 }], reason: 'damaged' }, alice, { 'idempotency-key': `many-${order.id}` }).then((response) => json(response))),
    );
    for (const [index, order] of orders.entries()) {
      expect(answers[index]).toMatchObject({ orderId: order.id, status: 'refunding' });
      const [key] = await db().query(`SELECT effect, response_body FROM idempotency_keys WHERE key = $1`, [`many-${order.id}`]);
      expect({ effect: key.effect, answered: key.response_body?.id }).toEqual({ effect: `refund:${answers[index].id}`, answered: answers[index].id });
      const again = await json(await requestRefund({ orderId: order.id, items: [{ sku: 'SKU-A', quantity: 1 }], reason: 'damaged' }, alice, { 'idempotency-key': `many-${order.id}` }));
      expect(again.id).toBe(answers[index].id);
    }
  });

  it('shows a customer only their own refunds; support sees all of an order, filtered by status', async () => {
    const order = newOrder();
    const refund = await json(await requestRefund({ orderId: order.id, amount: 4500, reason: 'dispute' }));
    await json(await requestRefund({ orderId: order.id, amount: 300, reason: 'dispute' }));

    const byBob = await call('GET', `/v1/refunds/${refund.id}`, bob);
    expect(byBob.status).toBe(404);
    expect((await json(byBob)).error.code).toBe('refund_not_found');
    expect((await json(await call('GET', `/v1/refunds?orderId=${order.id}`, bob))).items).toEqual([]);

    const mine = await json(await call('GET', `/v1/refunds?orderId=${order.id}`, alice));
    expect(mine.items.map((item: { amount: number }) => item.amount)).toEqual([4500, 300]);
    const pending = await json(await call('GET', `/v1/refunds?orderId=${order.id}&status=pending_review`, support));
    expect(pending.items.map((item: { id: string }) => item.id)).toEqual([refund.id]);
    const badStatus = await call('GET', `/v1/refunds?status=lost`, support);
    expect(badStatus.status).toBe(400);
    expect((await json(badStatus)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'status' }] });
  });

  it('lists the refunds changed after an instant, oldest change first, as a feed a client pages through', async () => {
    const order = newOrder();
    const first = await json(await requestRefund({ orderId: order.id, amount: 4100, reason: 'goodwill' }, support)); // above the automatic limit: pending_review
    const second = await json(await requestRefund({ orderId: order.id, amount: 200, reason: 'goodwill' }, support));
    const since = new Date(Date.parse(first.createdAt) - 1).toISOString();
    const page = await json(await call('GET', `/v1/refunds?orderId=${order.id}&updatedAfter=${since}&limit=1`, support));
    expect(page.items.map((item: { id: string }) => item.id)).toEqual([first.id]);
    const next = await json(await call('GET', `/v1/refunds?orderId=${order.id}&updatedAfter=${page.items[0].updatedAt}`, support));
    expect(next.items.map((item: { id: string }) => item.id)).toEqual([second.id]);

    await call('POST', `/v1/refunds/${first.id}/reject`, support, { reason: 'not eligible' });
    const changed = await json(await call('GET', `/v1/refunds?orderId=${order.id}&updatedAfter=${second.updatedAt}`, support));
    expect(changed.items.map((item: { id: string; status: string }) => [item.id, item.status])).toEqual([[first.id, 'rejected']]);

    for (const bad of ['updatedAfter=yesterday', 'limit=0', 'limit=1001']) {
      const response = await call('GET', `/v1/refunds?${bad}`, support);
      expect(response.status).toBe(400);
      expect((await json(response)).error).toMatchObject({ code: 'validation_error', details: [{ field: bad.split('=')[0] }] });
    }
  });

  it('never lets the feed miss a change that commits after a later one: it waits for the transaction still open', async () => {
    const order = newOrder();
    const slow = await json(await requestRefund({ orderId: order.id, amount: 4100, reason: 'goodwill' }, support)); // pending_review
    const since = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    // a change made in a transaction that stays open (stamped now, committed later)
    const late = db().createQueryRunner();
    await late.connect();
    await late.startTransaction();
    await late.query(`UPDATE refunds SET note = 'changed slowly' WHERE id = $1`, [slow.id]);
    const quick = await json(await requestRefund({ orderId: order.id, amount: 300, reason: 'goodwill' }, support));
    const feed = async (after: string) =>
      (await json(await call('GET', `/v1/refunds?orderId=${order.id}&updatedAfter=${after}`, support))).items.map((item: { id: string }) => item.id);
    // the quick change committed, but an older one may still come: the feed does not move past it yet
    expect(await feed(since)).toEqual([]);
    await late.commitTransaction();
    await late.release();
    expect(await feed(since)).toEqual([slow.id, quick.id]);
  });

  it('exposes refund durations and outcomes on /metrics, and is ready with database, broker and Redis', async () => {
    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).toMatch(/^refunds_total\{[^}]*outcome="succeeded"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^refunds_total\{[^}]*outcome="rejected"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^refund_process_duration_seconds_bucket\{[^}]*le="300"[^}]*outcome="succeeded"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^refund_request_duration_seconds_count\{[^}]*\} [1-9]/m);
    const ready = await call('GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect((await json(ready)).checks).toMatchObject({ database: { ok: true }, broker: { ok: true }, redis: { ok: true } });
  });
});
