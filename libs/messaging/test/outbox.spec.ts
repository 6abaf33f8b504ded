import './test-events';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import path from 'node:path';
import { sleep, waitFor } from '@ebb/testing';
import { OutboxRelay, UnregisteredEventError, addToOutbox, outboxNotifyToken } from '../src';
import { OrderPaid } from './test-events';
import { type Bus, consumedCount, countEffects, openBus, recordEffect } from './harness';

const root = path.resolve(__dirname, '../../..');

/** Runs the fixture service as its own process and reports how it ended. */
function runFixture(bus: Bus, mode: 'write' | 'relay' | 'write-only', key: string, crashAt?: string) {
  const result = spawnSync(
    process.execPath,
    ['-r', './tools/register.js', 'libs/messaging/test/fixture/relay-main.ts', mode, bus.database.url, bus.exchange, key],
    { cwd: root, env: { ...process.env, NODE_ENV: 'test', EBB_CRASH_AT: crashAt ?? '' }, encoding: 'utf8', timeout: 30000 },
  );
  return { status: result.status, signal: result.signal, stderr: result.stderr };
}

describe('transactional outbox', () => {
  let bus: Bus;

  beforeAll(async () => {
    bus = await openBus('outbox');
    bus.consumer.handle('record-paid-order', 'order.paid', recordEffect);
    await bus.consumer.start();
  });

  afterAll(async () => {
    await bus.close();
  });

  const pending = async () => (await bus.dataSource.query(`SELECT count(*)::int AS n FROM outbox`))[0].n;

  it('takes only declared event types, each payload checked by its schema, and writes nothing for a refused one', async () => {
    const before = await pending();
    await expect(bus.dataSource.transaction((manager) => addToOutbox(manager, { type: 'order.payed', payload: { key: 'typo' } }))).rejects.toBeInstanceOf(UnregisteredEventError);
    await expect(bus.dataSource.transaction((manager) => addToOutbox(manager, OrderPaid, { key: 7 } as never))).rejects.toThrow(/expected string/);
    expect(await pending()).toBe(before);
    // a handler's inbox name says what it does: <service>.<verb>-<what>
    expect(() => bus.consumer.on(OrderPaid, 'recordPaidOrder', recordEffect)).toThrow(/not <service>\.<verb>-<what>/);
  });

  it('publishes after a restart an event whose process was killed between commit and publish, and it is consumed once', async () => {
    const crashed = runFixture(bus, 'write', 'order-1', 'relay.before-publish');
    expect(crashed.signal).toBe('SIGKILL');
    // the state change and its event committed together; nothing reached the broker
    expect((await bus.dataSource.query(`SELECT status FROM orders WHERE id = 'order-1'`))[0].status).toBe('paid');
    expect(await pending()).toBe(1);
    await sleep(300);
    expect(await countEffects(bus.dataSource, 'order-1')).toBe(0);

    const restarted = runFixture(bus, 'relay', 'order-1');
    expect(restarted).toMatchObject({ status: 0 });
    await waitFor(async () => (await countEffects(bus.dataSource, 'order-1')) === 1, { what: 'the event to be consumed' });
    expect(await pending()).toBe(0);
    await sleep(300);
    expect(await countEffects(bus.dataSource, 'order-1')).toBe(1);
    expect(await consumedCount('record-paid-order', 'duplicate')).toBe(0);
  });

  it('publishes again an event whose process was killed after the broker confirmed it, and the consumer applies it once', async () => {
    const crashed = runFixture(bus, 'write', 'order-2', 'relay.after-publish');
    expect(crashed.signal).toBe('SIGKILL');
    expect(await pending()).toBe(1);
    const restarted = runFixture(bus, 'relay', 'order-2');
    expect(restarted).toMatchObject({ status: 0 });
    // two deliveries of one message id: the second finds it in the inbox
    await waitFor(async () => (await consumedCount('record-paid-order', 'duplicate')) === 1, { what: 'the second delivery' });
    expect(await countEffects(bus.dataSource, 'order-2')).toBe(1);
  });

  it('publishes in one relay what many transactions committed, each event consumed once', async () => {
    await bus.relay.start();
    const keys = Array.from({ length: 300 }, (_, index) => `bulk-${index}`);
    for (let start = 0; start < keys.length; start += 30) {
      await bus.dataSource.transaction((manager) =>
        addToOutbox(
          manager,
          keys.slice(start, start + 30).map((key) => ({ type: 'order.paid', payload: { key } })),
        ),
      );
    }
    await waitFor(async () => (await bus.dataSource.query(`SELECT count(DISTINCT key)::int AS n FROM effects WHERE key LIKE 'bulk-%'`))[0].n === 300, {
      what: 'all 300 events to be consumed',
    });
    expect(await countEffects(bus.dataSource)).toBe(302);
    // published rows are deleted a moment later, many in one statement
    await waitFor(async () => (await pending()) === 0, { what: 'the published rows to be deleted' });
    await bus.relay.stop();
  });

  it('publishes from one relay of several on one database, and another takes over when it stops', async () => {
    const relays = [0, 1].map(() => new OutboxRelay(bus.dataSource, bus.broker, { databaseUrl: bus.database.url, batchSize: 50, pollMs: 100 }));
    const write = (key: string) => bus.dataSource.transaction((manager) => addToOutbox(manager, OrderPaid, { key }));
    const published = async () => (await consumedCount('record-paid-order', 'handled')) + (await consumedCount('record-paid-order', 'duplicate'));
    for (const relay of relays) await relay.start();
    try {
      const before = await published();
      for (let i = 0; i < 20; i++) await write(`two-relays-${i}`);
      await waitFor(async () => (await bus.dataSource.query(`SELECT count(*)::int AS n FROM effects WHERE key LIKE 'two-relays-%'`))[0].n === 20, {
        what: 'the 20 events to be consumed',
      });
      await sleep(500);
      // each event reached the broker once: the second relay published nothing
      expect((await published()) - before).toBe(20);
      await waitFor(async () => (await pending()) === 0, { what: 'the published rows to be deleted' });

      // the publishing one stops (its lock goes with its connection): the other publishes within a poll
      const leader = (relays[0] as unknown as { leader: boolean }).leader ? 0 : 1;
      expect((relays[leader] as unknown as { leader: boolean }).leader).toBe(true);
      await relays[leader].stop();
      await write('after-failover');
      await waitFor(async () => (await countEffects(bus.dataSource, 'after-failover')) === 1, { what: 'the other relay to take over', timeoutMs: 5000 });
    } finally {
      for (const relay of relays) await relay.stop();
    }
  });

  it('wakes a relay in another process by NOTIFY when a process without a relay commits an event', async () => {
    // polling every minute: only the NOTIFY can explain a prompt publish
    const slowPolling = new OutboxRelay(bus.dataSource, bus.broker, { databaseUrl: bus.database.url, batchSize: 50, pollMs: 60_000 });
    await slowPolling.start();
    try {
      await sleep(100); // the first poll at start has passed
      const written = runFixture(bus, 'write-only', 'order-3');
      expect(written).toMatchObject({ status: 0 });
      await waitFor(async () => (await countEffects(bus.dataSource, 'order-3')) === 1, { what: 'the event to be relayed', timeoutMs: 5000 });
    } finally {
      await slowPolling.stop();
    }
  });

  it("wakes on another process's NOTIFY but not on the echo of its own commit, which the commit signal announced", async () => {
    const slowPolling = new OutboxRelay(bus.dataSource, bus.broker, { databaseUrl: bus.database.url, batchSize: 50, pollMs: 60_000 });
    await slowPolling.start();
    try {
      await sleep(100); // the first poll at start has passed
      // a row written behind the commit signal's back: only a NOTIFY can make this relay publish it
      await bus.dataSource.query(
        `INSERT INTO outbox (message_id, routing_key, payload, correlation_id) VALUES (gen_random_uuid(), 'order.paid', '{"key":"order-echo"}', 'c')`,
      );
      await bus.dataSource.query(`SELECT pg_notify('ebb_outbox', $1)`, [outboxNotifyToken(bus.dataSource)]);
      await sleep(500);
      expect(await pending()).toBe(1);
      await bus.dataSource.query(`SELECT pg_notify('ebb_outbox', 'another-process')`);
      await waitFor(async () => (await countEffects(bus.dataSource, 'order-echo')) === 1, { what: 'the event to be relayed', timeoutMs: 5000 });
      await waitFor(async () => (await pending()) === 0, { what: 'the published row to be deleted' });
    } finally {
      await slowPolling.stop();
    }
  });

  it('sends no NOTIFY while the relay that publishes is this process’s own: its commit signal woke it', async () => {
    const listener = new Client({ connectionString: bus.database.url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (notification) => heard.push(notification.payload ?? ''));
    await listener.query('LISTEN ebb_outbox');
    const relay = new OutboxRelay(bus.dataSource, bus.broker, { databaseUrl: bus.database.url, batchSize: 50, pollMs: 100 });
    await relay.start();
    const write = (key: string) => bus.dataSource.transaction((manager) => addToOutbox(manager, OrderPaid, { key }));
    try {
      await waitFor(() => (relay as unknown as { leader: boolean }).leader, { what: 'the relay to lead' });
      for (let i = 0; i < 5; i++) await write(`leader-here-${i}`);
      await waitFor(async () => (await bus.dataSource.query(`SELECT count(*)::int AS n FROM effects WHERE key LIKE 'leader-here-%'`))[0].n === 5, {
        what: 'the 5 events to be consumed',
      });
      await sleep(200);
      expect(heard).toEqual([]);
      // with the publishing relay gone, this process's commits wake the others again
      await relay.stop();
      await write('leader-gone');
      await waitFor(() => heard.includes(outboxNotifyToken(bus.dataSource)), { what: 'a NOTIFY' });
    } finally {
      await relay.stop();
      await listener.end();
    }
    // the last one is published by the next relay
    const next = new OutboxRelay(bus.dataSource, bus.broker, { databaseUrl: bus.database.url, batchSize: 50, pollMs: 100 });
    await next.start();
    await waitFor(async () => (await countEffects(bus.dataSource, 'leader-gone')) === 1, { what: 'the last event to be relayed' });
    await waitFor(async () => (await pending()) === 0, { what: 'the published row to be deleted' });
    await next.stop();
  });

  it('refuses to write an event outside a transaction', async () => {
    await expect(addToOutbox(bus.dataSource.manager, { type: 'order.paid', payload: { key: 'x' } })).rejects.toThrow(
      /inside the transaction/,
    );
    expect(await pending()).toBe(0);
  });

  it('refuses a routing key that is not <aggregate>.<event>', async () => {
    await expect(
      bus.dataSource.transaction((manager) => addToOutbox(manager, { type: 'Paid', payload: {} })),
    ).rejects.toThrow();
    expect(await pending()).toBe(0);
  });
});
