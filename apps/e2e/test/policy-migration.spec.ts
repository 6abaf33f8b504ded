import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client as Pg } from 'pg';
import { checkout, ok } from '@ebb/api-client';
import { TestPlatform, policyCatalogue, seedCatalogue, tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { Client, admin } from './client';

const ROOT = path.resolve(__dirname, '../../..');
const BATCH = 20;

/** `npm run policy:migrate -- …` as an operator runs it: a process of its own, against the platform's refund-service. */
function policyMigrate(args: string[], refundUrl: string): { child: ChildProcess; output: () => string; exited: Promise<number | null>; runId: Promise<string> } {
  const child = spawn(process.execPath, ['-r', './tools/register.js', 'tools/policy-migrate/policy-migrate.ts', ...args, '--url', refundUrl], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let announced: (id: string) => void;
  const runId = new Promise<string>((resolve) => (announced = resolve));
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    const id = /^run (pmr_[0-9a-f]+)/m.exec(output)?.[1];
    if (id) announced(id);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited, runId };
}

async function query<T = any>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const pg = new Pg({ connectionString: url });
  await pg.connect();
  try {
    return (await pg.query(sql, params)).rows;
  } finally {
    await pg.end();
  }
}

describe('moving a shop onto per-product windows with npm run policy:migrate', () => {
  let platform: TestPlatform;
  let client: Client;
  const catalogue = policyCatalogue();
  const out = path.join(ROOT, 'tmp', `policy-migration-${uniqueSuffix()}`);
  const recent = (sellerId: string) => ['1', '2', '3', '4'].includes(sellerId.slice(-1));

  beforeAll(async () => {
    mkdirSync(out, { recursive: true });
    platform = await TestPlatform.start(undefined, { refund: { POLICY_MIGRATION_BATCH_SIZE: String(BATCH), POLICY_MIGRATION_LEASE_MS: '2000' } });
    client = new Client(platform);
    await seedCatalogue(platform.url('inventory'), admin());
    // sellers 1–4 of each language sold recently, 5 eight months ago, 6 never: real orders, paid by card
    for (const seller of catalogue.sellers.filter((s) => !s.sellerId.endsWith('6'))) {
      const product = catalogue.products.find((p) => p.sellerId === seller.sellerId)!;
      const sku = `SKU-${product.id}`;
      await ok(client.typed('inventory', admin()).PUT('/v1/stock/{sku}', { params: { path: { sku } }, body: { productId: product.id, onHand: 5 } }));
      const customerId = `cus-${seller.sellerId}`;
      await checkout(client, tokenFor('customer', customerId), {
        customerId,
        email: `${customerId}@example.com`,
        currency: 'EUR',
        sellerId: seller.sellerId,
        items: [{ productId: product.id, sku, quantity: 1, unitAmount: 2500 }],
      }, { confirm: (id, method) => client.stripe().paymentIntents.confirm(id, { payment_method: method }) });
    }
    // when they sold: purchase times as the shop's history has them
    const days = { '1': 1, '2': 2, '3': 5, '4': 20, '5': 240 } as Record<string, number>;
    for (const [last, ago] of Object.entries(days)) {
      await query(platform.databaseUrl('order'), `UPDATE orders SET created_at = now() - make_interval(days => $1) WHERE seller_id LIKE $2`, [ago, `%${last}`]);
    }
    // a seller-wide window and a product's own, set before the migration
    const policiesApi = client.typed('refund', admin());
    await ok(policiesApi.PUT('/v1/refund-policies/sellers/{sellerId}', { params: { path: { sellerId: 'sel-en2' } }, body: { windowDays: 21 } }));
    await ok(policiesApi.PUT('/v1/refund-policies/products/{productId}', { params: { path: { productId: catalogue.products[0].id } }, body: { windowDays: 45 } }));
    // refund-service learns every seller from inventory.seller_updated
    await waitFor(async () => (await query(platform.databaseUrl('refund'), `SELECT count(*)::int AS n FROM sellers`))[0].n === catalogue.sellers.length, { what: 'every seller known to refund-service' });
  }, 240000);

  afterAll(async () => {
    await platform?.stop();
  });

  const policies = () => query(platform.databaseUrl('refund'), `SELECT * FROM refund_policies ORDER BY scope, scope_id`);
  // the sandbox's SMTP sink is a test fixture, outside the public API: read raw
  const mails = async (to: string) => (await client.call('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(to)}`)).items as { subject: string; text: string }[];

  it('writes the same report twice for a dry run (CSV and JSON), and changes nothing', async () => {
    const before = await policies();
    const runs = [];
    for (const name of ['dry-1', 'dry-2']) {
      const cli = policyMigrate(['--dry-run', '--out', path.join(out, `${name}.csv`)], platform.url('refund'));
      expect(await cli.exited).toBe(0);
      runs.push(await cli.runId);
    }
    const csv = (name: string) => readFileSync(path.join(out, `${name}.csv`), 'utf8');
    const report = (name: string) => JSON.parse(readFileSync(path.join(out, `${name}.json`), 'utf8'));
    expect(csv('dry-2')).toBe(csv('dry-1'));
    expect(report('dry-2').report).toEqual(report('dry-1').report);
    expect(report('dry-1')).toMatchObject({ id: runs[0], mode: 'dry_run', status: 'done', counts: { products: 208, sellers: 12, sellersToTell: 8 } });
    expect(csv('dry-1').split('\n')).toHaveLength(208 + 2);
    expect(csv('dry-1')).toContain(',course,');
    expect(csv('dry-1')).toMatch(/课程/);
    expect(await policies()).toEqual(before);
    expect(await query(platform.databaseUrl('refund'), `SELECT * FROM refund_policy_changes WHERE run_id = ANY($1)`, [runs])).toEqual([]);
  });

  it('applies once even when refund-service is killed (SIGKILL) half-way, mails each seller with a recent sale once, and rolls back to exactly what was there', async () => {
    const before = await policies();
    const planned = JSON.parse(readFileSync(path.join(out, 'dry-1.json'), 'utf8')).report as { productId: string; sellerId: string; action: string; recommendedWindowDays: number }[];
    const toSet = planned.filter((row) => row.action === 'set');
    // the first batch after the first that starts telling a seller: killed right after its sellers were told, before it is applied
    const batches = Array.from({ length: Math.ceil(toSet.length / BATCH) }, (_, i) => toSet.slice(i * BATCH, (i + 1) * BATCH));
    const firstOf = new Map<string, number>();
    batches.forEach((batch, i) => batch.forEach((row) => firstOf.has(row.sellerId) || firstOf.set(row.sellerId, i)));
    const crashBefore = batches.findIndex((batch, i) => i > 0 && batch.some((row) => recent(row.sellerId) && firstOf.get(row.sellerId) === i));
    expect(crashBefore).toBeGreaterThan(0);
    expect(crashBefore).toBeLessThan(batches.length - 1);

    await platform.kill('refund', 'SIGTERM');
    await platform.startApp('refund', { EBB_CRASH_AT: `policy-migration.after-announce-${crashBefore}` });
    const apply = policyMigrate(['--apply', '--out', path.join(out, 'apply.csv'), '--wait-seconds', '600'], platform.url('refund'));
    const runId = await apply.runId;
    expect(await platform.exited('refund')).toMatchObject({ signal: 'SIGKILL' });
    // the operator's terminal goes too
    apply.child.kill('SIGKILL');
    expect(await apply.exited).toBeNull();

    const [halfway] = await query(platform.databaseUrl('refund'), `SELECT status, counts FROM policy_migrations WHERE id = $1`, [runId]);
    expect(halfway.status).toBe('running');
    expect(halfway.counts.batches).toBe(crashBefore);
    const applied = await query(platform.databaseUrl('refund'), `SELECT count(*)::int AS n FROM policy_migration_items WHERE run_id = $1 AND outcome IS NOT NULL`, [runId]);
    expect(applied[0].n).toBe(crashBefore * BATCH);

    await platform.kill('refund');
    await platform.startApp('refund');
    const resume = policyMigrate(['--resume', runId, '--out', path.join(out, 'apply.csv')], platform.url('refund'));
    expect(await resume.exited).toBe(0);
    const run = JSON.parse(readFileSync(path.join(out, 'apply.json'), 'utf8'));
    expect(run).toMatchObject({ id: runId, status: 'done', counts: { applied: toSet.length, sellersTold: 8, batches: batches.length } });

    // each product changed once, to its recommendation
    const changes = await query(platform.databaseUrl('refund'), `SELECT scope_id, new_value FROM refund_policy_changes WHERE run_id = $1 ORDER BY scope_id`, [runId]);
    expect(changes.map((change) => change.scope_id)).toEqual(toSet.map((row) => row.productId).sort());
    for (const change of changes) expect(change.new_value.windowDays).toBe(toSet.find((row) => row.productId === change.scope_id)!.recommendedWindowDays);
    const sample = toSet[toSet.length - 1];
    const policy = await ok(client.typed('refund', admin()).GET('/v1/refund-policies/products/{productId}', { params: { path: { productId: sample.productId } } }));
    expect(policy).toMatchObject({ ownWindowDays: sample.recommendedWindowDays });

    // each seller with a sale in the last 6 months mailed once, in its language; the others never
    for (const seller of catalogue.sellers) {
      if (!recent(seller.sellerId)) continue;
      const notifications = () =>
        ok(client.typed('notification', admin()).GET('/v1/sellers/{sellerId}/notifications', { params: { path: { sellerId: seller.sellerId } } }));
      await waitFor(async () => (await notifications()).items[0]?.status === 'sent', {
        what: `the mail to ${seller.sellerId}`,
        timeoutMs: 30000,
      });
    }
    for (const seller of catalogue.sellers) {
      const received = await mails(seller.email);
      if (!recent(seller.sellerId)) {
        expect({ seller: seller.sellerId, mails: received.length }).toEqual({ seller: seller.sellerId, mails: 0 });
        continue;
      }
      expect({ seller: seller.sellerId, mails: received.length }).toEqual({ seller: seller.sellerId, mails: 1 });
      expect(received[0].subject).toMatch(seller.locale === 'zh-CN' ? /退款期限/ : /Refund windows of \d+ of your products/);
      const first = toSet.find((row) => row.sellerId === seller.sellerId)!;
      expect(received[0].text).toContain(first.productId);
    }

    const rollback = policyMigrate(['--rollback', runId, '--out', path.join(out, 'rollback.csv')], platform.url('refund'));
    expect(await rollback.exited).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'rollback.json'), 'utf8'))).toMatchObject({ status: 'rolled_back', counts: { restored: toSet.length, keptChanged: 0 } });
    expect(await policies()).toEqual(before);
  });
});
