import { sleep, waitFor } from '@ebb/testing';
import Stripe from 'stripe';
import { type TestSandbox, paidIntent, startTestSandbox } from './sandbox-harness';

type RefundEvent = Stripe.Event & { data: { object: Stripe.Refund } };

describe('sandbox Stripe refunds (driven by the stripe SDK)', () => {
  let sandbox: TestSandbox;

  const refundEvents = (refundId: string) =>
    sandbox.receiver.events.filter((e) => e.type.startsWith('refund.') && (e.data.object as { id: string }).id === refundId) as RefundEvent[];

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterEach(async () => {
    await sandbox.call('DELETE', '/__sandbox/faults');
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('creates a visa refund pending, then settles it to succeeded with a refund.updated webhook', async () => {
    const intent = await paidIntent(sandbox.stripe, 'pm_card_visa', 5000);
    const refund = await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 1200, metadata: { refundId: 'ref_1' } }, { idempotencyKey: 'ref_1' });
    expect(refund.id).toMatch(/^re_/);
    expect(refund).toMatchObject({ object: 'refund', amount: 1200, currency: 'usd', status: 'pending', payment_intent: intent.id, charge: intent.latest_charge, metadata: { refundId: 'ref_1' } });

    const [updated] = await waitFor(() => refundEvents(refund.id).length > 0 && refundEvents(refund.id), { what: 'refund.updated' });
    expect(updated).toMatchObject({ type: 'refund.updated', data: { object: { id: refund.id, status: 'succeeded', amount: 1200 }, previous_attributes: { status: 'pending' } } });
    expect(await sandbox.stripe.refunds.retrieve(refund.id)).toMatchObject({ status: 'succeeded' });
    await sleep(200);
    expect(refundEvents(refund.id).map((e) => e.type)).toEqual(['refund.updated']);
  });

  it('refunds what is left when no amount is given and refuses more than is left with amount_too_large', async () => {
    const intent = await paidIntent(sandbox.stripe, 'pm_card_visa', 3000);
    await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 1000 });
    const error = await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 2001 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });

    const rest = await sandbox.stripe.refunds.create({ payment_intent: intent.id });
    expect(rest.amount).toBe(2000);
    await expect(sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 1 })).rejects.toMatchObject({ statusCode: 400, code: 'charge_already_refunded' });
  });

  it('refuses a refund of an intent that was never paid, or does not exist', async () => {
    const unpaid = await sandbox.stripe.paymentIntents.create({ amount: 500, currency: 'usd' });
    await expect(sandbox.stripe.refunds.create({ payment_intent: unpaid.id })).rejects.toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });
    await expect(sandbox.stripe.refunds.create({ payment_intent: 'pi_nope' })).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
    await expect(sandbox.stripe.refunds.retrieve('re_nope')).rejects.toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('fails every refund of a pm_card_refundFail payment asynchronously, and gives the amount back', async () => {
    const intent = await paidIntent(sandbox.stripe, 'pm_card_refundFail', 4000);
    expect(intent.status).toBe('succeeded');
    const refund = await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 4000 });
    expect(refund.status).toBe('pending');

    const events = await waitFor(() => refundEvents(refund.id).length === 2 && refundEvents(refund.id), { what: 'refund.updated and refund.failed' });
    expect(events.map((e) => e.type)).toEqual(['refund.updated', 'refund.failed']);
    for (const event of events) expect(event.data.object).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(await sandbox.stripe.refunds.retrieve(refund.id)).toMatchObject({ status: 'failed', failure_reason: 'expired_or_canceled_card' });

    // the failed refund holds nothing: a full refund may be asked again
    const second = await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 4000 });
    await waitFor(() => refundEvents(second.id).some((e) => e.type === 'refund.failed'), { what: 'the second refund.failed' });
  });

  it('lets a new refund of a pm_card_refundFail payment succeed once refundFailures is off', async () => {
    const intent = await paidIntent(sandbox.stripe, 'pm_card_refundFail', 2500);
    const failed = await sandbox.stripe.refunds.create({ payment_intent: intent.id });
    await waitFor(() => refundEvents(failed.id).some((e) => e.type === 'refund.failed'));

    const faults = await sandbox.call('POST', '/__sandbox/faults', { refundFailures: false });
    expect(faults).toMatchObject({ status: 200, body: { refundFailures: false } });
    const retried = await sandbox.stripe.refunds.create({ payment_intent: intent.id }, { idempotencyKey: 'operator-retry-1' });
    const [updated] = await waitFor(() => refundEvents(retried.id).length > 0 && refundEvents(retried.id));
    expect(updated.data.object).toMatchObject({ status: 'succeeded', amount: 2500 });
  });

  it('lists refunds newest first, filtered by created[gte]/created[lt], a page at a time', async () => {
    const intent = await paidIntent(sandbox.stripe, 'pm_card_visa', 10000);
    const early = await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 100 });
    // `created` is in whole seconds: the next ones are made in a later second
    await waitFor(() => Math.floor(Date.now() / 1000) > early.created, { what: 'the next second' });
    const later: Stripe.Refund[] = [];
    for (let i = 0; i < 5; i++) later.push(await sandbox.stripe.refunds.create({ payment_intent: intent.id, amount: 100 + i }));
    const since = later[0].created;

    const first = await sandbox.stripe.refunds.list({ payment_intent: intent.id, created: { gte: since }, limit: 2 });
    expect(first).toMatchObject({ object: 'list', has_more: true, url: '/v1/refunds' });
    expect(first.data.map((r) => r.id)).toEqual([later[4].id, later[3].id]);
    const second = await sandbox.stripe.refunds.list({ payment_intent: intent.id, created: { gte: since }, limit: 2, starting_after: first.data[1].id });
    expect(second.data.map((r) => r.id)).toEqual([later[2].id, later[1].id]);
    const last = await sandbox.stripe.refunds.list({ payment_intent: intent.id, created: { gte: since }, limit: 2, starting_after: second.data[1].id });
    expect(last).toMatchObject({ has_more: false });
    expect(last.data.map((r) => r.id)).toEqual([later[0].id]);

    const before = await sandbox.stripe.refunds.list({ payment_intent: intent.id, created: { lt: since } });
    expect(before.data.map((r) => r.id)).toEqual([early.id]);

    // the SDK's auto-pagination walks the same pages
    const all: string[] = [];
    for await (const refund of sandbox.stripe.refunds.list({ payment_intent: intent.id, limit: 2 })) all.push(refund.id);
    expect(all).toEqual([...later].reverse().map((r) => r.id).concat(early.id));
  });

  it('refuses a list limit above 100 or a created bound that is not a time', async () => {
    await expect(sandbox.stripe.refunds.list({ limit: 101 })).rejects.toMatchObject({ statusCode: 400, param: 'limit' });
    await expect(sandbox.stripe.refunds.list({ created: { gte: 'yesterday' as unknown as number } })).rejects.toMatchObject({
      statusCode: 400,
      code: 'parameter_invalid_integer',
    });
  });
});
