import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { type RefundTestBed, openRefundTestBed } from './refund-test-kit';

const json = async (response: Response): Promise<any> => response.json();

describe('the per-product rollout flag, through OpenFeature', () => {
  let bed: RefundTestBed;
  const admin = tokenFor('admin', 'ops_ann');
  const support = tokenFor('support', 'agent_sam');
  const run = uniqueSuffix();
  const sellers = Array.from({ length: 200 }, (_, i) => `sel_${run}_${i}`);

  beforeAll(async () => {
    bed = await openRefundTestBed('flags');
  });
  afterAll(async () => {
    await bed?.close();
  });

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${bed.app.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const setFlag = async (body: object) => {
    const response = await call('PUT', '/v1/admin/flags/per-product-policies', admin, body);
    expect(response.status).toBe(200);
    return json(response);
  };
  const judge = async (sellerId: string) => json(await call('GET', `/v1/admin/flags/per-product-policies/sellers/${sellerId}`, admin));
  const enabledOf = async (ids: string[]) => {
    const enabled: string[] = [];
    for (const sellerId of ids) if ((await judge(sellerId)).enabled) enabled.push(sellerId);
    return enabled;
  };
  // the hash as docs/policies.md states it, written here on its own: SHA-256 of "<flag>:<seller>", first 4 bytes, mod 100
  const bucket = (sellerId: string) => createHash('sha256').update(`per-product-policies:${sellerId}`).digest().readUInt32BE(0) % 100;

  it('enables nobody when off (and before it is ever set), everybody when all', async () => {
    expect(await json(await call('GET', '/v1/admin/flags/per-product-policies', admin))).toEqual({
      key: 'per-product-policies',
      mode: 'off',
      percentage: null,
      setAt: null,
      updatedAt: null,
      updatedBy: null,
    });
    expect(await enabledOf(sellers.slice(0, 50))).toEqual([]);
    expect(await judge(sellers[0])).toEqual({ enabled: false, reason: 'off' });
    await setFlag({ mode: 'all' });
    expect(await enabledOf(sellers.slice(0, 50))).toEqual(sellers.slice(0, 50));
    expect(await judge(sellers[0])).toEqual({ enabled: true, reason: 'all' });
    await setFlag({ mode: 'off' });
    expect(await enabledOf(sellers.slice(0, 50))).toEqual([]);
  });

  it('enables a stable share of sellers by the hash of their id: the same ones on every call, more as the percentage grows', async () => {
    const flag = await setFlag({ mode: 'percentage', percentage: 10 });
    expect(flag).toMatchObject({ mode: 'percentage', percentage: 10, updatedBy: 'admin:ops_ann' });
    const atTen = await enabledOf(sellers);
    expect(atTen).toEqual(sellers.filter((sellerId) => bucket(sellerId) < 10));
    expect(await enabledOf(sellers)).toEqual(atTen);
    expect(atTen.length).toBeGreaterThan(200 * 0.05);
    expect(atTen.length).toBeLessThan(200 * 0.15);
    const inside = await judge(atTen[0]);
    expect(inside).toEqual({ enabled: true, reason: 'in_rollout_percentage' });
    expect(await judge(sellers.find((sellerId) => !atTen.includes(sellerId))!)).toEqual({ enabled: false, reason: 'outside_rollout_percentage' });

    await setFlag({ mode: 'percentage', percentage: 50 });
    const atFifty = await enabledOf(sellers);
    expect(atFifty).toEqual(sellers.filter((sellerId) => bucket(sellerId) < 50));
    expect(await enabledOf(sellers)).toEqual(atFifty);
    expect(atFifty.length).toBeGreaterThan(200 * 0.4);
    expect(atFifty.length).toBeLessThan(200 * 0.6);
    // growing only adds sellers: everyone enabled at 10% still is at 50%
    expect(atTen.filter((sellerId) => !atFifty.includes(sellerId))).toEqual([]);

    // a second replica evaluates the same
    const replica = await bed.replica();
    for (const sellerId of sellers.slice(0, 60)) {
      const there = await json(await fetch(`${replica.url}/v1/admin/flags/per-product-policies/sellers/${sellerId}`, { headers: { Authorization: `Bearer ${admin}` } }));
      expect(there.enabled).toBe(atFifty.includes(sellerId));
    }
  });

  it('enables only the sellers registered after the flag was set to new_sellers', async () => {
    const flag = await setFlag({ mode: 'new_sellers' });
    const setAt = Date.parse(flag.setAt);
    const at = (offsetMs: number) => new Date(setAt + offsetMs).toISOString();
    const before = `sel_${run}_old`;
    const after = `sel_${run}_new`;
    await bed.publish('inventory.seller_updated', { sellerId: before, name: 'Old', email: 'old@shop.example', locale: 'en', registeredAt: at(-86_400_000), updatedAt: at(1000) });
    await bed.publish('inventory.seller_updated', { sellerId: after, name: 'New', email: 'new@shop.example', locale: 'zh-CN', registeredAt: at(1000), updatedAt: at(1000) });
    const db = bed.app.app.get(DataSource);
    await waitFor(async () => (await db.query(`SELECT count(*)::int AS n FROM sellers WHERE seller_id = ANY($1)`, [[before, after]]))[0].n === 2, { what: 'both sellers kept' });
    expect(await judge(before)).toEqual({ enabled: false, reason: 'registered_before_flag' });
    expect(await judge(after)).toEqual({ enabled: true, reason: 'registered_after_flag' });
    expect(await judge(`sel_${run}_never_registered`)).toEqual({ enabled: false, reason: 'seller_not_registered' });

    // tuning another mode and coming back keeps the time new_sellers was set
    await setFlag({ mode: 'new_sellers' });
    expect(Date.parse((await setFlag({ mode: 'new_sellers' })).setAt)).toBe(setAt);
    expect(await judge(after)).toEqual({ enabled: true, reason: 'registered_after_flag' });
  });

  it('refuses a percentage without its mode and a mode without its percentage, lets only admins in, and audits every change', async () => {
    const missing = await call('PUT', '/v1/admin/flags/per-product-policies', admin, { mode: 'percentage' });
    expect((await json(missing)).error.details).toEqual([{ field: 'percentage', message: 'is required with mode percentage' }]);
    expect((await call('PUT', '/v1/admin/flags/per-product-policies', admin, { mode: 'all', percentage: 20 })).status).toBe(400);
    expect((await call('PUT', '/v1/admin/flags/per-product-policies', admin, { mode: 'percentage', percentage: 101 })).status).toBe(400);
    expect((await call('PUT', '/v1/admin/flags/per-product-policies', support, { mode: 'all' })).status).toBe(403);
    expect((await call('GET', `/v1/admin/flags/per-product-policies/sellers/${sellers[0]}`, support)).status).toBe(403);
    const audit = await json(await call('GET', '/v1/admin/audit?actor=ops_ann', admin));
    const flagWrites = audit.items.filter((item: { action: string }) => item.action === 'PUT /v1/admin/flags/per-product-policies');
    expect(flagWrites.filter((item: { outcome: string }) => item.outcome === 'succeeded').length).toBeGreaterThanOrEqual(7);
    expect(flagWrites.filter((item: { outcome: string }) => item.outcome === 'refused').length).toBeGreaterThanOrEqual(3);
    const history: { mode: string }[] = await bed.app.app.get(DataSource).query(`SELECT mode FROM feature_flag_changes ORDER BY id`);
    expect(history.map((row) => row.mode)).toEqual(['all', 'off', 'percentage', 'percentage', 'new_sellers', 'new_sellers', 'new_sellers']);
  });
});
