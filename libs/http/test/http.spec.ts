import { gzipSync } from 'node:zlib';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DEV_JWT_SECRET } from '@ebb/config';
import { IdempotencyStore, requestHash, signToken } from '../src';
import { type TestApp, type TestDatabase, bootTestApp, freshDatabase, tokenFor } from '@ebb/testing';
import { WidgetFixtureModule } from './fixture/widget-fixture.module';
import { WidgetStats } from './fixture/widgets.controller';

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('http platform', () => {
  let db: TestDatabase;
  let server: TestApp;
  let stats: WidgetStats;
  let dataSource: DataSource;
  const logLines: string[] = [];
  const customer = `Bearer ${tokenFor('customer', 'cust-1')}`;
  const admin = `Bearer ${tokenFor('admin', 'admin-1')}`;

  const api = () => request(server.url);
  const counts = async () => {
    const [{ widgets }] = await dataSource.query('SELECT count(*)::int AS widgets FROM widgets');
    const [{ keys }] = await dataSource.query('SELECT count(*)::int AS keys FROM idempotency_keys');
    return { widgets, keys, executions: stats.executions };
  };
  /** Asserts a refusal changed nothing: no row, no key, no handler run. */
  async function refusesWithoutEffect(send: () => Promise<request.Response>, status: number, code: string) {
    const before = await counts();
    const response = await send();
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status, code });
    expect(await counts()).toEqual(before);
    return response;
  }

  beforeAll(async () => {
    db = await freshDatabase('http');
    const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) });
    server = await bootTestApp({ module: WidgetFixtureModule.forRoot({ databaseUrl: db.url, logger, idempotencyWaitMs: 1500 }) });
    stats = server.app.get(WidgetStats);
    dataSource = server.app.get(DataSource);
  });

  afterAll(async () => {
    await server?.close();
    await db?.drop();
  });

  beforeEach(() => {
    stats.delayMs = 0;
  });

  describe('validation', () => {
    it('lists each bad field of a refused body', async () => {
      const response = await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).send({ amount: -1, items: [{ sku: 'a', quantity: 0 }] }),
        400,
        'validation_error',
      );
      const fields = response.body.error.details.map((detail: { field: string }) => detail.field);
      expect(fields).toEqual(['name', 'amount', 'items.0.quantity']);
      expect(response.body.error.details[0].message).toEqual(expect.any(String));
    });

    it.each([[-1], [1.5], ['10'], [0]])('refuses amount %p as a bad field, not a server error', async (amount) => {
      const response = await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).send({ name: 'w', amount }),
        400,
        'validation_error',
      );
      expect(response.body.error.details.map((detail: { field: string }) => detail.field)).toEqual(['amount']);
    });

    it.each([['"x"'], ['[]'], ['null'], ['42']])('refuses the JSON body %s where an object is expected', async (raw) => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).set('Content-Type', 'application/json').send(raw),
        400,
        'validation_error',
      );
    });

    it('refuses a body that is not JSON at all as a validation error', async () => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).set('Content-Type', 'text/plain').send('name=w'),
        400,
        'validation_error',
      );
    });

    it('answers malformed JSON with 400 malformed_json', async () => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).set('Content-Type', 'application/json').send('{"name": "w",'),
        400,
        'malformed_json',
      );
    });

    it('answers a 2 MB body with 413 payload_too_large', async () => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).send({ name: 'x'.repeat(2 * 1024 * 1024), amount: 1 }),
        413,
        'payload_too_large',
      );
    });

    it('answers an unsupported charset with 415', async () => {
      await refusesWithoutEffect(
        () =>
          api().post('/v1/widgets').set('Authorization', customer).set('Content-Type', 'application/json; charset=latin1').send('{}'),
        415,
        'unsupported_media_type',
      );
    });
    it('answers a body that is not encoded as its Content-Encoding says with 400, and reads one that is', async () => {
      const body = JSON.stringify({ name: 'zipped', amount: 1 });
      for (const encoding of ['gzip', 'deflate', 'br']) {
        await refusesWithoutEffect(
          () =>
            api().post('/v1/widgets').set('Authorization', customer).set('Content-Type', 'application/json').set('Content-Encoding', encoding).send(body),
          400,
          'bad_request',
        );
      }
      // supertest would serialise a Buffer as JSON under this Content-Type: send the bytes with fetch
      const zipped = await fetch(`${server.url}/v1/widgets`, {
        method: 'POST',
        headers: { Authorization: customer, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gzipSync(body),
      });
      expect({ status: zipped.status, name: ((await zipped.json()) as { name?: string }).name }).toEqual({ status: 201, name: 'zipped' });
    });

    it('refuses a path holding a NUL character with 400 validation_error, before the audit or the Idempotency-Key store sees it', async () => {
      // found by the public-writes property: an audited write to /…/%00 answered 500, as PostgreSQL refused the NUL in the audit row
      const [{ audited }] = await dataSource.query(`SELECT count(*)::int AS audited FROM audit_log`);
      for (const send of [
        () => api().delete('/v1/widgets/%00').set('Authorization', admin),
        () => api().post('/v1/widgets/unique%00').set('Authorization', customer).set('Idempotency-Key', 'nul-path').send({ name: 'n', amount: 1 }),
      ]) {
        const response = await refusesWithoutEffect(send, 400, 'validation_error');
        expect(response.body.error.details).toEqual([{ field: 'path', message: 'must not hold a NUL character (%00)' }]);
      }
      expect((await dataSource.query(`SELECT count(*)::int AS audited FROM audit_log`))[0].audited).toBe(audited);
    });

    it('refuses a body nested deeper than the limit with 400 validation_error, under an Idempotency-Key too', async () => {
      const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
      for (const nested of [deep(100_000), `{"name":"w","amount":1,"extra":${deep(40)}}`]) {
        const response = await refusesWithoutEffect(
          () =>
            api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', `deep-${nested.length}`).set('Content-Type', 'application/json').send(nested),
          400,
          'validation_error',
        );
        expect(response.body.error.details).toEqual([{ field: 'body', message: 'is nested deeper than 32 levels' }]);
      }
      // a body as deep as the limit allows is read and validated as usual (the widget ignores extra fields)
      const allowed = await api()
        .post('/v1/widgets')
        .set('Authorization', customer)
        .set('Content-Type', 'application/json')
        .send(`{"name":"w","amount":1,"extra":${deep(31)}}`);
      expect(allowed.status).toBe(201);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with 404 route_not_found in the error shape', async () => {
      const response = await api().get('/v1/nothing-here').set('Authorization', customer);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'route_not_found', message: expect.any(String) } });
      expect((await api().delete('/v1/widgets')).body.error.code).toBe('route_not_found');
    });

    it("answers a service's own refusal with its code and status", async () => {
      const response = await api().get('/v1/widgets/w-404').set('Authorization', customer);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({ error: { code: 'widget_not_found', message: 'No widget w-404.' } });
    });

    it('answers a bug with 500 internal_error, logs its stack and leaks nothing', async () => {
      const response = await api().post('/v1/widgets/explode').set('Authorization', customer).send({});
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
      expect(response.text).not.toMatch(/secret-db|ECONNREFUSED/);
      const logged = logLines.map((line) => JSON.parse(line)).find((entry) => entry.err?.message?.includes('secret-db'));
      expect(logged).toMatchObject({ level: 50, url: '/v1/widgets/explode', err: { stack: expect.stringContaining('explode') } });
    });
  });

  describe('the edge: security headers and CORS', () => {
    it('answers with security headers and without naming its framework', async () => {
      const response = await api().get('/v1/widgets/w-404').set('Authorization', customer);
      expect(response.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'content-security-policy': expect.stringContaining("frame-ancestors 'self'"),
        'strict-transport-security': expect.stringContaining('max-age='),
      });
      expect(response.headers['x-powered-by']).toBeUndefined();
      expect(response.headers['content-security-policy']).not.toMatch(/upgrade-insecure-requests/);
    });

    it('gives a browser on another origin no CORS grant unless that origin is configured', async () => {
      const preflight = (target: TestApp, origin: string) =>
        request(target.url)
          .options('/v1/widgets')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');
      // no CORS_ORIGINS: no grant for anyone
      expect((await preflight(server, 'https://console.shop.example')).headers['access-control-allow-origin']).toBeUndefined();

      const withConsole = await bootTestApp({
        module: WidgetFixtureModule.forRoot({ databaseUrl: db.url, idempotencyWaitMs: 1500 }),
        corsOrigins: ['https://console.shop.example'],
      });
      try {
        const allowed = await preflight(withConsole, 'https://console.shop.example');
        expect(allowed.status).toBe(204);
        expect(allowed.headers['access-control-allow-origin']).toBe('https://console.shop.example');
        expect(allowed.headers['access-control-allow-headers']).toMatch(/Idempotency-Key/);
        expect(allowed.headers['access-control-allow-credentials']).toBeUndefined();
        const other = await preflight(withConsole, 'https://evil.example');
        expect(other.headers['access-control-allow-origin']).toBeUndefined();
        const read = await request(withConsole.url).get('/v1/widgets/w-404').set('Origin', 'https://console.shop.example').set('Authorization', customer);
        expect(read.headers['access-control-allow-origin']).toBe('https://console.shop.example');
        expect(read.headers['access-control-expose-headers']).toMatch(/Idempotent-Replayed/);
      } finally {
        await withConsole.close();
      }
    });
  });

  describe('auth', () => {
    const expired = jwt.sign({ sub: 'c', role: 'customer', exp: Math.floor(Date.now() / 1000) - 60 }, DEV_JWT_SECRET);
    const cases: Array<[string, string | undefined]> = [
      ['no token', undefined],
      ['a token that is not a JWT', 'Bearer not-a-jwt'],
      ['a bad signature', `Bearer ${signToken({ sub: 'c', role: 'customer' }, 'another-secret')}`],
      ['an expired token', `Bearer ${expired}`],
      ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'c', role: 'admin' })}.`],
      ['an unknown role', `Bearer ${jwt.sign({ sub: 'c', role: 'root' }, DEV_JWT_SECRET)}`],
      ['no sub', `Bearer ${jwt.sign({ role: 'admin' }, DEV_JWT_SECRET)}`],
      ['an HS384 token', `Bearer ${jwt.sign({ sub: 'c', role: 'admin' }, DEV_JWT_SECRET, { algorithm: 'HS384' })}`],
    ];

    it.each(cases)('refuses %s with 401 unauthorized', async (_, authorization) => {
      const response = await refusesWithoutEffect(
        () => {
          const call = api().post('/v1/widgets');
          return (authorization ? call.set('Authorization', authorization) : call).send({ name: 'w', amount: 1 });
        },
        401,
        'unauthorized',
      );
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('refuses a role the route does not allow with 403 forbidden', async () => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', `Bearer ${tokenFor('support', 's-1')}`).send({ name: 'w', amount: 1 }),
        403,
        'forbidden',
      );
      await refusesWithoutEffect(() => api().delete('/v1/widgets/any').set('Authorization', customer), 403, 'forbidden');
      expect((await api().delete('/v1/widgets/any').set('Authorization', admin)).status).toBe(204);
    });

    it('serves health and metrics without a token', async () => {
      expect((await api().get('/health/live')).status).toBe(200);
      expect((await api().get('/health/ready')).body).toMatchObject({ status: 'ok' });
      const metrics = await api().get('/metrics');
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('http_request_duration_seconds');
    });
  });

  describe('idempotency', () => {
    it('creates a widget and reads it back', async () => {
      const created = await api().post('/v1/widgets').set('Authorization', customer).send({ name: 'plain', amount: 1999 });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: expect.any(String), name: 'plain', amount: 1999 });
      const read = await api().get(`/v1/widgets/${created.body.id}`).set('Authorization', customer);
      expect(read.body).toEqual(created.body);
    });

    it('answers a repeat with the first response and runs the handler once', async () => {
      const before = await counts();
      const send = (body: object) =>
        api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'repeat-1').send(body);
      const first = await send({ name: 'once', amount: 500, items: [{ sku: 's', quantity: 1 }] });
      // the same body with its keys in another order is the same request
      const second = await send({ items: [{ quantity: 1, sku: 's' }], amount: 500, name: 'once' });
      expect(first.status).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();
      expect({ status: second.status, body: second.body }).toEqual({ status: first.status, body: first.body });
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(await counts()).toEqual({ widgets: before.widgets + 1, keys: before.keys + 1, executions: before.executions + 1 });
    });

    it('refuses the same key with another body with 409 idempotency_key_reused', async () => {
      await api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'reused-1').send({ name: 'a', amount: 1 });
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'reused-1').send({ name: 'a', amount: 2 }),
        409,
        'idempotency_key_reused',
      );
    });

    it('keeps one caller’s key apart from another’s', async () => {
      const body = { name: 'mine', amount: 3 };
      const mine = await api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'shared').send(body);
      const theirs = await api()
        .post('/v1/widgets')
        .set('Authorization', `Bearer ${tokenFor('customer', 'cust-2')}`)
        .set('Idempotency-Key', 'shared')
        .send(body);
      expect([mine.status, theirs.status]).toEqual([201, 201]);
      expect(theirs.body.id).not.toBe(mine.body.id);
    });

    it('runs ten concurrent first uses of one key once, and answers all ten alike', async () => {
      stats.delayMs = 300;
      const before = await counts();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'race-1').send({ name: 'race', amount: 7 }),
        ),
      );
      expect(new Set(responses.map((response) => JSON.stringify([response.status, response.body]))).size).toBe(1);
      expect(responses[0].status).toBe(201);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
      expect(await counts()).toEqual({ widgets: before.widgets + 1, keys: before.keys + 1, executions: before.executions + 1 });
    });

    it('answers 409 request_in_progress when the first request outlasts the wait', async () => {
      stats.delayMs = 2500;
      const send = () =>
        api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'slow-1').send({ name: 'slow', amount: 9 });
      // supertest sends on then(); start the first request now
      const first = send().then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const second = await send();
      expect({ status: second.status, code: second.body.error.code }).toEqual({ status: 409, code: 'request_in_progress' });
      expect((await first).status).toBe(201);
      expect((await send()).body).toEqual((await first).body);
    });

    it.each([
      ['too long', 'k'.repeat(256)],
      ['not ASCII', 'clé'],
    ])('refuses a key that is %s with 400 idempotency_key_invalid', async (_, key) => {
      await refusesWithoutEffect(
        () => api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', key).send({ name: 'w', amount: 1 }),
        400,
        'idempotency_key_invalid',
      );
    });

    it('answers a repeat of a refused request with the same refusal', async () => {
      const send = () => api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'refused-1').send({ amount: 0 });
      const first = await send();
      const second = await send();
      expect(first.status).toBe(400);
      expect({ status: second.status, body: second.body }).toEqual({ status: 400, body: first.body });
      // byte for byte, not only the same JSON: a client may compare or sign the raw answer
      expect(first.text).toMatch(/^\{"error":\{"code":"validation_error","message":.*"details":/);
      expect(second.text).toBe(first.text);
      expect(second.headers['idempotent-replayed']).toBe('true');
    });

    it('lets a key go after a server error, so a retry runs again', async () => {
      const send = () => api().post('/v1/widgets/explode').set('Authorization', customer).set('Idempotency-Key', 'boom-1').send({});
      const explosions = stats.explosions;
      expect((await send()).status).toBe(500);
      expect((await send()).status).toBe(500);
      expect(stats.explosions).toBe(explosions + 2);
      expect(await dataSource.query(`SELECT 1 FROM idempotency_keys WHERE key = 'boom-1'`)).toEqual([]);
    });

    it('never lets a key go once its effect committed: a lost answer is answered from the effect, not run again', async () => {
      const store = server.app.get(IdempotencyStore);
      const complete = jest.spyOn(store, 'complete').mockRejectedValueOnce(new Error('connection reset while storing the answer'));
      const before = await counts();
      const send = () => api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'lost-answer-1').send({ name: 'kept', amount: 11 });
      const first = await send();
      complete.mockRestore();
      expect(first.status).toBe(500);
      const retry = await send();
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual({ id: expect.any(String), name: 'kept', amount: 11 });
      expect(retry.headers['idempotent-replayed']).toBe('true');
      expect((await counts()).widgets).toBe(before.widgets + 1);
    });

    it('answers a key whose request died after its effect committed from the effect, however old the claim', async () => {
      const before = await counts();
      const [widget] = await dataSource.query(`INSERT INTO widgets (id, name, amount, owner_id) VALUES (gen_random_uuid()::text, 'orphan', 12, 'cust-1') RETURNING id`);
      const body = { name: 'orphan', amount: 12 };
      // as a crash leaves it: claimed six minutes ago, the effect committed, no answer stored
      await dataSource.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash, status, claim_token, effect, success_status, created_at)
         VALUES ('POST /v1/widgets cust-1', 'crashed-1', $1, 'in_progress', 'dead-token', $2, 201, now() - interval '6 minutes')`,
        [requestHash(body), `widget:${widget.id}`],
      );
      const retry = await api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'crashed-1').send(body);
      expect({ status: retry.status, body: retry.body }).toEqual({ status: 201, body: { id: widget.id, name: 'orphan', amount: 12 } });
      expect(await counts()).toEqual({ ...before, widgets: before.widgets + 1, keys: before.keys + 1 });
    });

    it('does not store a temporary refusal as the answer: a retry under the same key runs again', async () => {
      stats.busyFor = 1;
      const send = () => api().post('/v1/widgets/busy').set('Authorization', customer).set('Idempotency-Key', 'busy-1').send({ name: 'busy', amount: 13 });
      const first = await send();
      expect({ status: first.status, code: first.body.error.code }).toEqual({ status: 409, code: 'widget_press_busy' });
      const second = await send();
      expect(second.status).toBe(201);
      expect((await send()).body).toEqual(second.body);
    });

    it('does not let a request whose claim was taken over commit its effect', async () => {
      stats.delayMs = 400;
      const before = await counts();
      const first = api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'taken-1').send({ name: 'slow', amount: 14 }).then((r) => r);
      await new Promise((resolve) => setTimeout(resolve, 150));
      // another request took the claim over meanwhile (as after the stale timeout)
      await dataSource.query(`UPDATE idempotency_keys SET claim_token = 'someone-else' WHERE key = 'taken-1'`);
      expect((await first).status).toBe(500);
      expect((await counts()).widgets).toBe(before.widgets);
    });

    describe('a route that claims its key with its effect', () => {
      const unique = (key: string, body: object) => api().post('/v1/widgets/unique').set('Authorization', customer).set('Idempotency-Key', key).send(body);

      it('claims the key in the effect’s transaction: no claim is written before the handler runs', async () => {
        const before = await counts();
        stats.keyRowsSeen = [];
        const first = await unique('with-effect-1', { name: 'with-effect-1', amount: 1 });
        expect(first.status).toBe(201);
        expect(stats.keyRowsSeen).toEqual([before.keys]);
        const repeat = await unique('with-effect-1', { name: 'with-effect-1', amount: 1 });
        expect({ status: repeat.status, body: repeat.body, replayed: repeat.headers['idempotent-replayed'] }).toEqual({ status: 201, body: first.body, replayed: 'true' });
        // the repeat found the stored answer: its handler did not run
        expect(await counts()).toEqual({ widgets: before.widgets + 1, keys: before.keys + 1, executions: before.executions + 1 });
      });

      it('commits one effect of ten concurrent first uses of one key, and answers all ten alike', async () => {
        stats.delayMs = 200;
        const before = await counts();
        const responses = await Promise.all(Array.from({ length: 10 }, () => api().post('/v1/widgets/unique').set('Authorization', customer).set('Idempotency-Key', 'with-effect-race').send({ name: 'race-unique', amount: 7 })));
        expect(new Set(responses.map((response) => JSON.stringify([response.status, response.body]))).size).toBe(1);
        expect(responses[0].status).toBe(201);
        expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
        expect(await counts()).toMatchObject({ widgets: before.widgets + 1, keys: before.keys + 1 });
      });

      it('answers a repeat refused because of the first request’s effect with the first answer', async () => {
        stats.delayMs = 400;
        const body = { name: 'refused-repeat', amount: 8 };
        const first = unique('with-effect-refusal', body).then((response) => response);
        // the second starts before the first made its effect, finds no key, and is refused (the name is taken) once it has
        await new Promise((resolve) => setTimeout(resolve, 150));
        const second = await unique('with-effect-refusal', body);
        expect((await first).status).toBe(201);
        expect({ status: second.status, body: second.body }).toEqual({ status: 201, body: (await first).body });
        expect((await dataSource.query(`SELECT count(*)::int AS n FROM widgets WHERE name = 'refused-repeat'`))[0].n).toBe(1);
      });

      it('refuses the same key with another body with 409 idempotency_key_reused, run side by side', async () => {
        stats.delayMs = 200;
        const before = await counts();
        const [a, b] = await Promise.all([unique('with-effect-reused', { name: 'reused-a', amount: 1 }), unique('with-effect-reused', { name: 'reused-b', amount: 1 })]);
        expect([a.status, b.status].sort()).toEqual([201, 409]);
        expect([a, b].find((response) => response.status === 409)!.body.error.code).toBe('idempotency_key_reused');
        expect(await counts()).toMatchObject({ widgets: before.widgets + 1, keys: before.keys + 1 });
      });

      it('stores a refusal as the answer, and a repeat gets it without running', async () => {
        await unique('taken-name-setup', { name: 'taken-name', amount: 1 });
        const before = await counts();
        const first = await unique('with-effect-refused', { name: 'taken-name', amount: 2 });
        const second = await unique('with-effect-refused', { name: 'taken-name', amount: 2 });
        expect({ status: first.status, code: first.body.error.code }).toEqual({ status: 409, code: 'widget_exists' });
        expect({ status: second.status, text: second.text, replayed: second.headers['idempotent-replayed'] }).toEqual({ status: 409, text: first.text, replayed: 'true' });
        expect(await counts()).toEqual({ widgets: before.widgets, keys: before.keys + 1, executions: before.executions + 1 });
      });
    });

    it('purges keys older than the retention, and only those', async () => {
      await api().post('/v1/widgets').set('Authorization', customer).set('Idempotency-Key', 'old-1').send({ name: 'old', amount: 1 });
      await dataSource.query(`UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'old-1'`);
      const before = await counts();
      expect(await server.app.get(IdempotencyStore).purgeExpired()).toBe(1);
      expect((await counts()).keys).toBe(before.keys - 1);
    });
  });
});
