import request from 'supertest';
import { waitFor } from '@ebb/testing';
import { type InventoryTestApp, bearer, bootInventory } from './inventory-test-app';

describe('inventory-service sellers and the catalogue in pages', () => {
  let service: InventoryTestApp;
  const api = () => request(service.url);
  const sellerEvents = (sellerId: string) => service.events.filter((event) => event.type === 'inventory.seller_updated' && event.payload.sellerId === sellerId);

  beforeAll(async () => {
    service = await bootInventory('sellers');
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('registers a seller, changes it, and publishes inventory.seller_updated for each; the registration time never moves', async () => {
    const first = await api().put('/v1/sellers/sel-ana').set('Authorization', bearer.admin).send({ name: 'Ana Prints', email: 'ana@example.com' });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      sellerId: 'sel-ana',
      name: 'Ana Prints',
      email: 'ana@example.com',
      locale: 'en',
      registeredAt: expect.any(String),
      updatedAt: first.body.registeredAt,
    });
    const second = await api().put('/v1/sellers/sel-ana').set('Authorization', bearer.admin).send({ name: '安娜印刷', email: 'ana@example.cn', locale: 'zh-CN' });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ name: '安娜印刷', email: 'ana@example.cn', locale: 'zh-CN', registeredAt: first.body.registeredAt });
    expect(Date.parse(second.body.updatedAt)).toBeGreaterThan(Date.parse(first.body.updatedAt));

    const events = await waitFor(() => sellerEvents('sel-ana').length === 2 && sellerEvents('sel-ana'), { what: 'two inventory.seller_updated' });
    const payload = (view: Record<string, string>) => ({ sellerId: view.sellerId, name: view.name, email: view.email, locale: view.locale, registeredAt: view.registeredAt, updatedAt: view.updatedAt });
    expect(events.map((event) => event.payload)).toEqual([payload(first.body), payload(second.body)]);

    const read = await api().get('/v1/sellers/sel-ana').set('Authorization', bearer.admin);
    expect(read.body).toEqual(second.body);
  });

  it('answers 404 seller_not_found for a seller never registered, refuses bad fields, and lets only admins in', async () => {
    const missing = await api().get('/v1/sellers/sel-nobody').set('Authorization', bearer.admin);
    expect({ status: missing.status, code: missing.body.error.code }).toEqual({ status: 404, code: 'seller_not_found' });

    const bad = await api().put('/v1/sellers/sel-bad').set('Authorization', bearer.admin).send({ name: '', email: 'not-mail', locale: 'fr' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'locale', 'name']);
    for (const role of ['customer', 'support'] as const) {
      const refused = await api().put('/v1/sellers/sel-bad').set('Authorization', bearer[role]).send({ name: 'X', email: 'x@example.com' });
      expect({ role, status: refused.status }).toEqual({ role, status: 403 });
    }
    expect((await api().get('/v1/sellers/sel-bad').set('Authorization', bearer.admin)).status).toBe(404);
    expect(sellerEvents('sel-bad')).toEqual([]);
  });

  it('lists the products of one seller in pages by id, every product once, and the products named by id', async () => {
    const ids = Array.from({ length: 7 }, (_, i) => `prod-page-${i}`);
    for (const id of ids) {
      await api().post('/v1/products').set('Authorization', bearer.admin).send({ id, sellerId: 'sel-pages', title: `Item ${id}`, description: 'd' }).expect(201);
    }
    await api().post('/v1/products').set('Authorization', bearer.admin).send({ id: 'prod-page-other', sellerId: 'sel-else', title: 'Other', description: '' }).expect(201);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: request.Response = await api()
        .get('/v1/products')
        .query({ sellerId: 'sel-pages', limit: 3, ...(cursor ? { cursor } : {}) })
        .set('Authorization', bearer.service);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.items.map((item: { id: string; sellerId: string }) => (expect(item.sellerId).toBe('sel-pages'), item.id)));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);

    const named = await api().get('/v1/products').query({ ids: 'prod-page-other,prod-page-1,prod-none' }).set('Authorization', bearer.support);
    expect(named.body).toEqual({ items: [expect.objectContaining({ id: 'prod-page-1' }), expect.objectContaining({ id: 'prod-page-other', sellerId: 'sel-else' })], nextCursor: null });
  });

  it('refuses a cursor it never gave, a bad limit, and customers', async () => {
    const cursor = await api().get('/v1/products').query({ cursor: 'bm90LWEtY3Vyc29y' }).set('Authorization', bearer.admin);
    expect({ status: cursor.status, field: cursor.body.error.details[0].field }).toEqual({ status: 400, field: 'cursor' });
    const limit = await api().get('/v1/products').query({ limit: 0 }).set('Authorization', bearer.admin);
    expect(limit.status).toBe(400);
    expect((await api().get('/v1/products').set('Authorization', bearer.customer)).status).toBe(403);
  });
});
