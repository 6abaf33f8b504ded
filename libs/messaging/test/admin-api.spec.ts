import './test-events';
import { Body, Controller, HttpCode, Injectable, Module, type OnModuleInit, Post } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEV_JWT_SECRET } from '@ebb/config';
import { HttpPlatformModule, Roles, httpMigrations } from '@ebb/http';
import { ObservabilityModule } from '@ebb/observability';
import { PersistenceModule } from '@ebb/persistence';
import { TEST_AMQP_URL, type TestApp, type TestDatabase, bootTestApp, freshDatabase, tokenFor, uniqueSuffix, waitFor } from '@ebb/testing';
import { type IncomingMessage, MessageConsumer, MessagingModule, addToOutbox } from '../src';
import { countEffects, deleteTopology, recordEffect, testMigrations } from './harness';

// response bodies are checked field by field
const json = async (response: Response): Promise<any> => response.json();

const suffix = uniqueSuffix();
const service = `test-admin-${suffix}`;
const exchange = `ebb.test.admin.${suffix}`;
const retryDelaysMs = [100, 200, 400];

/** The test service's handlers: one that fails while `broken`, one that remembers what it saw. */
@Injectable()
class TestHandlers implements OnModuleInit {
  broken = true;
  attempts = 0;
  seen: IncomingMessage[] = [];
  constructor(private readonly consumer: MessageConsumer) {}

  onModuleInit() {
    this.consumer.handle<{ key: string }>('charge-card', 'claim.requested', async (message, manager) => {
      this.attempts++;
      if (this.broken) throw new Error('card network down');
      await recordEffect(message, manager);
    });
    this.consumer.handle('remember-order', 'basket.placed', async (message) => {
      this.seen.push(message);
    });
  }
}

@Roles('customer')
@Controller('v1/test-orders')
class TestOrdersController {
  constructor(private readonly dataSource: DataSource) {}

  @Post()
  @HttpCode(201)
  async place(@Body() body: { id: string }) {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`INSERT INTO orders (id, status) VALUES ($1, 'placed')`, [body.id]);
      await addToOutbox(manager, { type: 'basket.placed', payload: { key: body.id } });
    });
    return { id: body.id };
  }
}

describe('a service on the messaging library', () => {
  let database: TestDatabase;
  let testApp: TestApp;
  let handlers: TestHandlers;
  const admin = { Authorization: `Bearer ${tokenFor('admin', 'ops-1')}` };

  beforeAll(async () => {
    database = await freshDatabase('messaging_admin');
    @Module({
      imports: [
        ObservabilityModule.forRoot({ service }),
        PersistenceModule.forRoot({ url: database.url, entities: [], migrations: [...testMigrations, ...httpMigrations] }),
        HttpPlatformModule.forRoot({ jwtSecret: DEV_JWT_SECRET }),
        MessagingModule.forRoot({
          service,
          url: TEST_AMQP_URL,
          exchange,
          prefetch: 10,
          maxRetries: 3,
          retryDelaysMs,
          outboxPollMs: 200,
          outboxBatchSize: 100,
        }),
      ],
      controllers: [TestOrdersController],
      providers: [TestHandlers],
    })
    class TestServiceModule {}
    testApp = await bootTestApp({ module: TestServiceModule });
    handlers = testApp.app.get(TestHandlers);
  });

  afterAll(async () => {
    await testApp.close();
    await deleteTopology(service, exchange, retryDelaysMs);
    await database.drop();
  });

  const api = (path: string, init: RequestInit = {}) => fetch(`${testApp.url}${path}`, init);
  const dataSource = () => testApp.app.get(DataSource);
  const requestRefund = (key: string) =>
    dataSource().transaction((manager) => addToOutbox(manager, { type: 'claim.requested', payload: { key } }));
  const parkedList = async () => (await json(await api('/v1/admin/dead-letters', { headers: admin }))).items;

  it('is ready only with its database and broker answering', async () => {
    const response = await api('/health/ready');
    expect(response.status).toBe(200);
    expect((await json(response)).checks).toMatchObject({ database: { ok: true }, broker: { ok: true } });
  });

  it('passes the request correlation id on to the events it publishes', async () => {
    const response = await api('/v1/test-orders', {
      method: 'POST',
      headers: { ...admin, Authorization: `Bearer ${tokenFor('customer', 'c-1')}`, 'content-type': 'application/json', 'x-correlation-id': 'corr-order-42' },
      body: JSON.stringify({ id: 'order-42' }),
    });
    expect(response.status).toBe(201);
    const [seen] = await waitFor(() => handlers.seen.length === 1 && handlers.seen, { what: 'basket.placed to be consumed' });
    expect(seen).toMatchObject({ type: 'basket.placed', correlationId: 'corr-order-42', attempt: 0 });
  });

  it('parks a message whose handler always throws, after three retries, and lists it to admins only', async () => {
    await requestRefund('refund-1');
    const [parked] = await waitFor(async () => {
      const items = await parkedList();
      return items.length === 1 && items;
    }, { what: 'the message to be parked' });
    expect(handlers.attempts).toBe(4);
    expect(parked).toMatchObject({ handler: 'charge-card', type: 'claim.requested', attempts: 4, error: 'card network down' });
    expect(JSON.parse(parked.content)).toEqual({ key: 'refund-1' });

    const noToken = await api('/v1/admin/dead-letters');
    expect(noToken.status).toBe(401);
    expect((await json(noToken)).error.code).toBe('unauthorized');
    const customer = await api('/v1/admin/dead-letters', { headers: { Authorization: `Bearer ${tokenFor('customer', 'c-1')}` } });
    expect(customer.status).toBe(403);
    expect((await json(customer)).error.code).toBe('forbidden');

    const metrics = await (await api('/metrics')).text();
    expect(metrics).toMatch(/^dead_letters_waiting\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^messages_consumed_total\{[^}]*handler="charge-card"[^}]*outcome="parked"[^}]*\} 1$/m);
  });

  it('handles a replayed message once after the fault is fixed', async () => {
    const [parked] = await parkedList();
    handlers.broken = false;
    const replay = await api(`/v1/admin/dead-letters/${parked.id}/replay`, { method: 'POST', headers: admin });
    expect(replay.status).toBe(200);
    await waitFor(async () => (await countEffects(dataSource(), 'refund-1')) === 1, { what: 'the replayed message' });
    expect(await parkedList()).toEqual([]);
    const again = await api(`/v1/admin/dead-letters/${parked.id}/replay`, { method: 'POST', headers: admin });
    expect(again.status).toBe(404);
    expect((await json(again)).error.code).toBe('dead_letter_not_found');
    expect(await countEffects(dataSource(), 'refund-1')).toBe(1);
  });

  it('discards a parked message: it is gone and its effect never happens', async () => {
    handlers.broken = true;
    await requestRefund('refund-2');
    const [parked] = await waitFor(async () => {
      const items = await parkedList();
      return items.length === 1 && items;
    }, { what: 'the second message to be parked' });
    const discard = await api(`/v1/admin/dead-letters/${parked.id}`, { method: 'DELETE', headers: admin });
    expect(discard.status).toBe(204);
    expect(await parkedList()).toEqual([]);
    const again = await api(`/v1/admin/dead-letters/${parked.id}`, { method: 'DELETE', headers: admin });
    expect(again.status).toBe(404);
    expect(await countEffects(dataSource(), 'refund-2')).toBe(0);
  });

  it('keeps every replay and discard in the audit log, with its outcome', async () => {
    const entries = (await json(await api('/v1/admin/audit?actor=ops-1', { headers: admin }))).items;
    expect(entries.map((entry: Record<string, unknown>) => [entry.action, entry.outcome, entry.status, entry.code])).toEqual([
      ['POST /v1/admin/dead-letters/:id/replay', 'succeeded', 200, null],
      ['POST /v1/admin/dead-letters/:id/replay', 'refused', 404, 'dead_letter_not_found'],
      ['DELETE /v1/admin/dead-letters/:id', 'succeeded', 204, null],
      ['DELETE /v1/admin/dead-letters/:id', 'refused', 404, 'dead_letter_not_found'],
    ]);
    expect(new Set(entries.map((entry: { target: string }) => entry.target)).size).toBe(2);
  });

  it('pages parked messages newest first by (parked_at, id): none skipped or repeated, even with ties and changes between pages', async () => {
    await dataSource().query(`DELETE FROM dead_letters`);
    // ids in random order against their times, and three parked in the same instant
    const times = ['2026-01-01T00:00:05Z', '2026-01-01T00:00:04Z', '2026-01-01T00:00:04Z', '2026-01-01T00:00:04Z', '2026-01-01T00:00:02Z', '2026-01-01T00:00:01Z'];
    const ids = ['dl_f', 'dl_a', 'dl_z', 'dl_m', 'dl_b', 'dl_y'];
    for (const [index, id] of ids.entries()) {
      await dataSource().query(
        `INSERT INTO dead_letters (id, message_id, type, handler, queue, content, error, attempts, parked_at) VALUES ($1, $2, 'claim.requested', 'charge-card', 'q', '{}', 'boom', 4, $3)`,
        [id, `m-${id}`, times[index]],
      );
    }
    const page = async (query: string) => json(await api(`/v1/admin/dead-letters?limit=2${query}`, { headers: admin }));
    const first = await page('');
    expect(first.items.map((item: { id: string }) => item.id)).toEqual(['dl_f', 'dl_z']);
    // meanwhile a new message is parked (newest) and one of the next page is discarded
    await dataSource().query(
      `INSERT INTO dead_letters (id, message_id, type, handler, queue, content, error, attempts, parked_at) VALUES ('dl_new', 'm-new', 'claim.requested', 'charge-card', 'q', '{}', 'boom', 4, now())`,
    );
    await api('/v1/admin/dead-letters/dl_b', { method: 'DELETE', headers: admin });
    const second = await page(`&cursor=${first.nextCursor}`);
    expect(second.items.map((item: { id: string }) => item.id)).toEqual(['dl_m', 'dl_a']);
    const third = await page(`&cursor=${second.nextCursor}`);
    expect(third).toEqual({ items: [expect.objectContaining({ id: 'dl_y' })], nextCursor: null });
    // the older `before=<id>` keeps working on the same keyset
    expect((await page('&before=dl_z')).items.map((item: { id: string }) => item.id)).toEqual(['dl_m', 'dl_a']);
    const bad = await api('/v1/admin/dead-letters?cursor=garbage', { headers: admin });
    expect([bad.status, (await json(bad)).error.code]).toEqual([400, 'validation_error']);
    await dataSource().query(`DELETE FROM dead_letters`);
  });

  it('refuses a page size out of range with a validation error', async () => {
    const response = await api('/v1/admin/dead-letters?limit=0', { headers: admin });
    expect(response.status).toBe(400);
    expect((await json(response)).error).toMatchObject({ code: 'validation_error', details: [{ field: 'limit' }] });
  });
});
