import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { type TestApp, type TestDatabase, bootTestApp, freshDatabase, tokenFor } from '@ebb/testing';
import type { RateLimitOptions } from '../src';
import { WidgetFixtureModule } from './fixture/widget-fixture.module';

const REDIS_URL = 'redis://127.0.0.1:6379';
const widget = { name: 'w', amount: 100 };
const bearer = (role: 'customer' | 'admin' | 'service', sub: string) => `Bearer ${tokenFor(role, sub)}`;

describe('write rate limits', () => {
  let db: TestDatabase;
  const apps: TestApp[] = [];
  const boot = async (rateLimits: RateLimitOptions) => {
    const app = await bootTestApp({ module: WidgetFixtureModule.forRoot({ databaseUrl: db.url, rateLimits }) });
    apps.push(app);
    return app;
  };
  const widgets = async () => {
    const [{ n }] = await apps[0].app.get(DataSource).query('SELECT count(*)::int AS n FROM widgets');
    return n as number;
  };

  beforeAll(async () => {
    db = await freshDatabase('ratelimits');
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await db?.drop();
  });

  it('refuses a burst from one caller with 429 and Retry-After across two replicas, while another caller and reads are served', async () => {
    // a service name of its own, so counts left in Redis by another run never meet this one
    const options: RateLimitOptions = { redisUrl: REDIS_URL, service: `rl-${randomUUID()}`, customerWrites: 5, staffWrites: 0, windowSeconds: 30 };
    const [one, two] = [await boot(options), await boot(options)];
    const burster = bearer('customer', 'burster');

    // five writes spread over both replicas use up the one budget the two share in Redis
    const served = [];
    for (const replica of [one, two, one, two, one]) served.push((await request(replica.url).post('/v1/widgets').set('Authorization', burster).send(widget)).status);
    expect(served).toEqual([201, 201, 201, 201, 201]);

    const before = await widgets();
    for (const replica of [one, two]) {
      const refused = await request(replica.url).post('/v1/widgets').set('Authorization', burster).send(widget);
      expect(refused.status).toBe(429);
      expect(refused.body.error.code).toBe('too_many_requests');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
    }
    // a refused write changed nothing
    expect(await widgets()).toBe(before);

    // another caller has a budget of its own, on either replica; the burster still reads
    expect((await request(two.url).post('/v1/widgets').set('Authorization', bearer('customer', 'neighbour')).send(widget)).status).toBe(201);
    expect((await request(one.url).get('/v1/widgets').set('Authorization', burster)).status).not.toBe(429);
    // and the budget is per route: a write to another route of the same caller is its own
    expect((await request(one.url).post('/v1/widgets/busy').set('Authorization', burster).send(widget)).status).toBe(201);
  });

  it('does not limit staff when their limit is off', async () => {
    const options: RateLimitOptions = { redisUrl: REDIS_URL, service: `rl-${randomUUID()}`, customerWrites: 1, staffWrites: 0, windowSeconds: 30 };
    const app = await boot(options);
    for (let i = 0; i < 4; i += 1) {
      expect((await request(app.url).post('/v1/widgets').set('Authorization', bearer('admin', 'ops')).send(widget)).status).toBe(201);
    }
    const customer = bearer('customer', 'c-1');
    expect((await request(app.url).post('/v1/widgets').set('Authorization', customer).send(widget)).status).toBe(201);
    expect((await request(app.url).post('/v1/widgets').set('Authorization', customer).send(widget)).status).toBe(429);
  });

  it('still limits, replica by replica, while Redis cannot be reached', async () => {
    // nothing listens on port 1: every count falls back to the replica's own memory
    const options: RateLimitOptions = { redisUrl: 'redis://127.0.0.1:1', service: `rl-${randomUUID()}`, customerWrites: 2, staffWrites: 0, windowSeconds: 30 };
    const app = await boot(options);
    const caller = bearer('customer', 'offline');
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request(app.url).post('/v1/widgets').set('Authorization', caller).send(widget)).status);
    expect(statuses).toEqual([201, 201, 429]);
  });
});
