import { DataSource } from 'typeorm';
import { type SeenEvent, policyCatalogue, seedCatalogue, tokenFor, waitFor, watchBus } from '@ebb/testing';
import { type RefundTestBed, capturedOrder, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();
const DAY_MS = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();

describe('policy migration runs over the fixture catalogue', () => {
  let bed: RefundTestBed;
  let announcements: { events: SeenEvent[]; close(): Promise<void> };
  const admin = tokenFor('admin', 'ops_ann');
  const catalogue = policyCatalogue();
  const expectedRule = new Map(catalogue.products.map((product) => [product.id, product.expected]));
  // sellers 1–4 of each language sold recently (1 most recently), 5 sold 8 months ago, 6 never
  const saleDaysAgo: Record<string, number> = { '1': 1, '2': 3, '3': 10, '4': 40, '5': 240 };

  const call = (method: string, path: string, body?: unknown, token = admin) =>
    fetch(`${bed.app.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const db = () => bed.app.app.get(DataSource);
  const start = async (body: object) => {
    const response = await call('POST', '/v1/admin/policy-migrations', body);
    expect(response.status).toBe(201);
    return (await json(response)).id as string;
  };
  const settles = (id: string, statuses = ['done', 'failed', 'rolled_back']) =>
    waitFor(
      async () => {
        const run = await json(await call('GET', `/v1/admin/policy-migrations/${id}`));
        return statuses.includes(run.status) && run;
      },
      { what: `run ${id} to reach ${statuses.join('|')}`, timeoutMs: 60000, intervalMs: 100 },
    );
  const policies = async () => db().query(`SELECT * FROM refund_policies ORDER BY scope, scope_id`);
  const changesOf = async (runId: string) => db().query(`SELECT scope_id, seller_id, old_value, new_value, at FROM refund_policy_changes WHERE run_id = $1 ORDER BY id`, [runId]);

  beforeAll(async () => {
    bed = await openRefundTestBed(
      'migration',
      { POLICY_MIGRATION_BATCH_SIZE: '25', POLICY_MIGRATION_MAX_ATTEMPTS: '3', POLICY_MIGRATION_RETRY_MS: '300', POLICY_MIGRATION_LEASE_MS: '3000' },
      { inventory: true },
    );
    announcements = await watchBus(bed.exchange, 'refund_policy.#');
    await seedCatalogue(bed.inventory!.url('inventory'), admin);
    // refund-service learns the sellers from inventory.seller_updated
    await waitFor(async () => (await db().query(`SELECT count(*)::int AS n FROM sellers`))[0].n === catalogue.sellers.length, { what: 'every seller registered' });
    for (const seller of catalogue.sellers) {
      const days = saleDaysAgo[seller.sellerId.slice(-1)];
      if (days === undefined) continue;
      const order = capturedOrder(`ord_${bed.suffix}_${seller.sellerId}`, { sellerId: seller.sellerId, createdAt: daysAgo(days) });
      bed.orders.set(order.id, order);
    }
    // a seller that allows no product without refunds, one with a window of its own, and a product with its own
    expect((await call('PUT', '/v1/refund-policies/sellers/sel-zh4', { windowDays: 30, allowNoRefunds: false })).status).toBe(200);
    expect((await call('PUT', '/v1/refund-policies/sellers/sel-en3', { windowDays: 14 })).status).toBe(200);
    const chosen = catalogue.products.find((product) => product.expected === 'course')!;
    expect((await call('PUT', `/v1/refund-policies/products/${chosen.id}`, { windowDays: 45 })).status).toBe(200);
  }, 120000);

  afterAll(async () => {
    await announcements?.close();
    await bed?.close();
  });

  it('reports the same twice for a dry run, over every product, and changes nothing', async () => {
    const before = await policies();
    const first = await settles(await start({ mode: 'dry_run' }));
    const second = await settles(await start({ mode: 'dry_run' }));
    expect(first.status).toBe('done');
    expect(second.report).toEqual(first.report);
    expect(second.counts).toEqual(first.counts);
    expect(first.report).toHaveLength(catalogue.products.length);
    expect(await policies()).toEqual(before);
    expect(await changesOf(first.id)).toEqual([]);

    // every product with the rule its text calls for, the sellers by their last sale
    for (const row of first.report) expect({ id: row.productId, rule: row.reason.rule }).toEqual({ id: row.productId, rule: expectedRule.get(row.productId) });
    const sellerOrder = [...new Set(first.report.map((row: { sellerId: string }) => row.sellerId))];
    expect(sellerOrder.slice(0, 2).sort()).toEqual(['sel-en1', 'sel-zh1']);
    expect(sellerOrder.slice(-4).sort()).toEqual(['sel-en5', 'sel-en6', 'sel-zh5', 'sel-zh6']);
    expect(sellerOrder.slice(-2)).toEqual(['sel-en6', 'sel-zh6']);
    const byId = new Map(first.report.map((row: { productId: string }) => [row.productId, row]));
    const chosen = catalogue.products.find((product) => product.expected === 'course')!;
    expect(byId.get(chosen.id)).toMatchObject({ currentWindowDays: 45, currentSource: 'product', recommendedWindowDays: 60, action: 'keep' });
    const personalisedZh4 = catalogue.products.find((product) => product.sellerId === 'sel-zh4' && product.expected === 'personalised')!;
    expect(byId.get(personalisedZh4.id)).toMatchObject({ recommendedWindowDays: 0, action: 'conflict', conflictRule: 'allow_no_refunds' });
    const en3Template = catalogue.products.find((product) => product.sellerId === 'sel-en3' && product.expected === 'template')!;
    expect(byId.get(en3Template.id)).toMatchObject({ currentWindowDays: 14, currentSource: 'seller', recommendedWindowDays: 7, confidence: expect.any(Number), action: 'set' });
    for (const row of first.report.filter((r: { reason: { rule: string } }) => r.reason.rule === 'fallback')) expect(row.action).toBe('keep');
    expect(first.counts).toMatchObject({ products: 208, sellers: 12, sellersToTell: 8 });
    expect(first.counts.set + first.counts.keep + first.counts.conflict).toBe(208);
  });

  it('applies in batches, tells each seller with a recent sale once before its products change, and rolls back exactly what it changed', async () => {
    const before = await policies();
    const told = announcements.events.length;
    const applied = await settles(await start({ mode: 'apply' }));
    expect(applied.status).toBe('done');
    const toSet = applied.report.filter((row: { action: string }) => row.action === 'set');
    expect(applied.counts).toMatchObject({ applied: toSet.length, skipped: 0, sellersTold: 8, batches: Math.ceil(toSet.length / 25) });
    for (const row of toSet) expect(row.outcome).toBe('applied');

    // each product changed once, by this run, to its recommendation
    const changes = await changesOf(applied.id);
    expect(changes.map((change: { scope_id: string }) => change.scope_id).sort()).toEqual(toSet.map((row: { productId: string }) => row.productId).sort());
    for (const change of changes) expect(change.old_value).toBeNull();
    const sample = toSet[0];
    expect(await json(await call('GET', `/v1/refund-policies/products/${sample.productId}`))).toMatchObject({ ownWindowDays: sample.recommendedWindowDays });

    // the sellers told: those with a sale in the last 6 months, each once, each before its first change
    const events = await waitFor(() => announcements.events.length - told >= 8 && announcements.events.slice(told), { what: 'the announcements' });
    expect(events.map((event) => event.payload.sellerId).sort()).toEqual(['sel-en1', 'sel-en2', 'sel-en3', 'sel-en4', 'sel-zh1', 'sel-zh2', 'sel-zh3', 'sel-zh4']);
    const sellers: { seller_id: string; announced_at: Date | null }[] = await db().query(`SELECT seller_id, announced_at FROM policy_migration_sellers WHERE run_id = $1`, [applied.id]);
    for (const seller of sellers) {
      const first = changes.filter((change: { seller_id: string }) => change.seller_id === seller.seller_id)[0];
      if (seller.announced_at) expect(seller.announced_at.getTime()).toBeLessThanOrEqual(first.at.getTime());
    }
    const en1 = events.find((event) => event.payload.sellerId === 'sel-en1')!;
    expect(en1.payload.changes).toEqual(
      toSet.filter((row: { sellerId: string }) => row.sellerId === 'sel-en1').map((row: any) => ({ productId: row.productId, title: row.title, oldWindowDays: row.currentWindowDays, oldSource: row.currentSource, newWindowDays: row.recommendedWindowDays })),
    );

    // someone changes one product after the run: the rollback leaves it alone and restores the rest exactly
    const touched = toSet[1].productId;
    expect((await call('PUT', `/v1/refund-policies/products/${touched}`, { windowDays: 21 })).status).toBe(200);
    const rollback = await call('POST', `/v1/admin/policy-migrations/${applied.id}/rollback`);
    expect(rollback.status).toBe(200);
    expect(await json(rollback)).toEqual({ id: applied.id, mode: 'apply', status: 'rolling_back' });
    const rolledBack = await settles(applied.id, ['rolled_back', 'failed']);
    expect(rolledBack.status).toBe('rolled_back');
    expect(rolledBack.counts).toMatchObject({ restored: toSet.length - 1, keptChanged: 1 });
    expect(rolledBack.report.find((row: { productId: string }) => row.productId === touched).rolledBack).toBe('changed_since');
    const after: { scope_id: string }[] = await policies();
    expect(after.filter((row) => row.scope_id !== touched)).toEqual(before);
    expect(after.find((row) => row.scope_id === touched)).toMatchObject({ window_days: 21 });

    // rolled back once: again is refused; a dry run has nothing to roll back
    const again = await call('POST', `/v1/admin/policy-migrations/${applied.id}/rollback`);
    expect({ status: again.status, code: (await json(again)).error.code }).toEqual({ status: 409, code: 'invalid_migration_transition' });
  });

  it('plans only the sellers named', async () => {
    const run = await settles(await start({ mode: 'dry_run', sellerIds: ['sel-zh6', 'sel-en2'] }));
    expect(new Set(run.report.map((row: { sellerId: string }) => row.sellerId))).toEqual(new Set(['sel-en2', 'sel-zh6']));
    expect(run.report).toHaveLength(catalogue.products.filter((product) => ['sel-en2', 'sel-zh6'].includes(product.sellerId)).length);
    // sel-en2 sold 3 days ago, sel-zh6 never
    expect(run.report[0].sellerId).toBe('sel-en2');
    expect(run.sellerIds).toEqual(['sel-zh6', 'sel-en2']);
  });

  it('fails a run whose catalogue cannot be read, allows one apply at a time, and resumes where it stopped', async () => {
    await bed.inventory!.kill('inventory');
    const id = await start({ mode: 'apply', sellerIds: ['sel-en6'] });
    const second = await call('POST', '/v1/admin/policy-migrations', { mode: 'apply' });
    expect(second.status).toBe(409);
    expect((await json(second)).error).toMatchObject({ code: 'policy_migration_in_progress', details: { runId: id } });
    const failed = await settles(id);
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringContaining('inventory-service did not answer') });

    await bed.inventory!.startApp('inventory');
    const resumed = await call('POST', `/v1/admin/policy-migrations/${id}/resume`);
    expect(await json(resumed)).toEqual({ id, mode: 'apply', status: 'running' });
    const done = await settles(id);
    expect(done.status).toBe('done');
    expect(done.report.length).toBe(catalogue.products.filter((product) => product.sellerId === 'sel-en6').length);
    // sel-en6 never sold: nobody to tell
    expect(done.counts.sellersTold).toBe(0);
    expect((await call('POST', `/v1/admin/policy-migrations/${id}/resume`)).status).toBe(409);
    expect((await call('POST', `/v1/admin/policy-migrations/${id}/rollback`)).status).toBe(200);
    expect((await settles(id, ['rolled_back'])).status).toBe('rolled_back');
  });

  it('refuses what makes no sense, and lets only admins in', async () => {
    const dry = await settles(await start({ mode: 'dry_run', sellerIds: ['sel-en1'] }));
    const rollback = await call('POST', `/v1/admin/policy-migrations/${dry.id}/rollback`);
    expect({ status: rollback.status, code: (await json(rollback)).error.code }).toEqual({ status: 409, code: 'invalid_migration_transition' });
    const unknown = await call('GET', '/v1/admin/policy-migrations/pmr_nope');
    expect({ status: unknown.status, code: (await json(unknown)).error.code }).toEqual({ status: 404, code: 'policy_migration_not_found' });
    const bad = await call('POST', '/v1/admin/policy-migrations', { mode: 'now', sellerIds: ['a', 'a'] });
    expect((await json(bad)).error.details.map((d: { field: string }) => d.field).sort()).toEqual(['mode', 'sellerIds']);
    expect((await call('POST', '/v1/admin/policy-migrations', { mode: 'dry_run' }, tokenFor('support', 'agent_sam'))).status).toBe(403);
  });
});
