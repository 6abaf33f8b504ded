import request from 'supertest';
import { type InventoryTestApp, bearer, bootInventory } from './inventory-test-app';

describe('inventory-service products and stock API', () => {
  let service: InventoryTestApp;
  const api = () => request(service.url);
  const count = async (table: string) => (await service.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  beforeAll(async () => {
    service = await bootInventory('api');
  });

  afterAll(async () => {
    await service?.stop();
  });

  describe('POST /v1/products', () => {
    it('creates a product with a generated id and answers 201 with it', async () => {
      const response = await api()
        .post('/v1/products')
        .set('Authorization', bearer.admin)
        .send({ sellerId: 'seller-1', title: 'Linen shirt', description: 'Blue, long sleeves' });
      expect(response.status).toBe(201);
      expect(response.body).toEqual({
        id: expect.stringMatching(/^prd_[0-9a-f]{32}$/),
        sellerId: 'seller-1',
        title: 'Linen shirt',
        description: 'Blue, long sleeves',
        createdAt: expect.any(String),
      });
      expect(new Date(response.body.createdAt).toISOString()).toBe(response.body.createdAt);
    });

    it('keeps the id it is given and refuses the same id again with 409 product_exists', async () => {
      const first = await api()
        .post('/v1/products')
        .set('Authorization', bearer.service)
        .send({ id: 'prod-mug', sellerId: 'seller-1', title: 'Mug', description: '' });
      expect(first.status).toBe(201);
      expect(first.body.id).toBe('prod-mug');

      const again = await api()
        .post('/v1/products')
        .set('Authorization', bearer.admin)
        .send({ id: 'prod-mug', sellerId: 'seller-2', title: 'Other mug', description: 'x' });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({ code: 'product_exists', message: expect.any(String) });
      const [stored] = await service.dataSource.query(`SELECT seller_id, title FROM products WHERE id = 'prod-mug'`);
      expect(stored).toEqual({ seller_id: 'seller-1', title: 'Mug' });
    });

    it('lists each bad field of a refused product and stores nothing', async () => {
      const before = await count('products');
      const response = await api()
        .post('/v1/products')
        .set('Authorization', bearer.admin)
        .send({ id: 'has space', title: '', description: 42 });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_error');
      expect(response.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['description', 'id', 'sellerId', 'title']);
      expect(await count('products')).toBe(before);
    });

    it('lets only admins and services create products', async () => {
      const body = { sellerId: 'seller-1', title: 'Hat', description: 'Wool' };
      const before = await count('products');
      const anonymous = await api().post('/v1/products').send(body);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('unauthorized');
      for (const role of ['customer', 'support'] as const) {
        const refused = await api().post('/v1/products').set('Authorization', bearer[role]).send(body);
        expect({ role, status: refused.status, code: refused.body.error?.code }).toEqual({ role, status: 403, code: 'forbidden' });
      }
      expect(await count('products')).toBe(before);
    });

    it('answers a repeated Idempotency-Key with the first product, not a second one', async () => {
      const send = () =>
        api()
          .post('/v1/products')
          .set('Authorization', bearer.admin)
          .set('Idempotency-Key', 'create-scarf-1')
          .send({ sellerId: 'seller-1', title: 'Scarf', description: 'Red' });
      const first = await send();
      const second = await send();
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      const [{ n }] = await service.dataSource.query(`SELECT count(*)::int AS n FROM products WHERE title = 'Scarf'`);
      expect(n).toBe(1);
    });
  });

  describe('stock', () => {
    beforeAll(async () => {
      await api()
        .post('/v1/products')
        .set('Authorization', bearer.admin)
        .send({ id: 'prod-tee', sellerId: 'seller-1', title: 'T-shirt', description: 'Cotton' })
        .expect(201);
    });

    it('sets stock on hand and reads it back with what is available', async () => {
      const put = await api().put('/v1/stock/TEE-M').set('Authorization', bearer.admin).send({ productId: 'prod-tee', onHand: 12 });
      expect(put.status).toBe(200);
      expect(put.body).toEqual({ sku: 'TEE-M', productId: 'prod-tee', onHand: 12, reserved: 0, available: 12 });

      const recount = await api().put('/v1/stock/TEE-M').set('Authorization', bearer.admin).send({ productId: 'prod-tee', onHand: 7 });
      expect(recount.body).toEqual({ sku: 'TEE-M', productId: 'prod-tee', onHand: 7, reserved: 0, available: 7 });

      const get = await api().get('/v1/stock/TEE-M').set('Authorization', bearer.customer);
      expect(get.status).toBe(200);
      expect(get.body).toEqual({ sku: 'TEE-M', productId: 'prod-tee', onHand: 7, reserved: 0, available: 7 });
    });

    it('refuses stock for an unknown product with 422 product_not_found and records nothing', async () => {
      const response = await api().put('/v1/stock/GHOST-1').set('Authorization', bearer.admin).send({ productId: 'prod-ghost', onHand: 3 });
      expect(response.status).toBe(422);
      expect(response.body.error).toMatchObject({ code: 'product_not_found', details: { productId: 'prod-ghost' } });
      const get = await api().get('/v1/stock/GHOST-1').set('Authorization', bearer.admin);
      expect(get.status).toBe(404);
    });

    it.each([[-1], [1.5], ['4'], [null]])('refuses on-hand %p as a bad field and leaves the count alone', async (onHand) => {
      await api().put('/v1/stock/TEE-L').set('Authorization', bearer.admin).send({ productId: 'prod-tee', onHand: 4 }).expect(200);
      const response = await api().put('/v1/stock/TEE-L').set('Authorization', bearer.admin).send({ productId: 'prod-tee', onHand });
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_error');
      expect(response.body.error.details.map((d: { field: string }) => d.field)).toEqual(['onHand']);
      const get = await api().get('/v1/stock/TEE-L').set('Authorization', bearer.admin);
      expect(get.body.onHand).toBe(4);
    });

    it('refuses a SKU that is not a plain id', async () => {
      const response = await api().put('/v1/stock/bad%20sku').set('Authorization', bearer.admin).send({ productId: 'prod-tee', onHand: 1 });
      expect(response.status).toBe(400);
      expect(response.body.error).toMatchObject({ code: 'validation_error', details: [{ field: 'sku' }] });
    });

    it('answers 404 sku_not_found for a SKU with no stock', async () => {
      const response = await api().get('/v1/stock/NOPE-1').set('Authorization', bearer.support);
      expect(response.status).toBe(404);
      expect(response.body.error).toMatchObject({ code: 'sku_not_found', message: expect.any(String) });
    });

    it('lets only admins set stock, and needs a token to read it', async () => {
      for (const role of ['customer', 'support', 'service'] as const) {
        const refused = await api().put('/v1/stock/TEE-M').set('Authorization', bearer[role]).send({ productId: 'prod-tee', onHand: 99 });
        expect({ role, status: refused.status, code: refused.body.error?.code }).toEqual({ role, status: 403, code: 'forbidden' });
      }
      const anonymous = await api().get('/v1/stock/TEE-M');
      expect(anonymous.status).toBe(401);
      const get = await api().get('/v1/stock/TEE-M').set('Authorization', bearer.service);
      expect(get.body.onHand).toBe(7);
    });
  });
});
