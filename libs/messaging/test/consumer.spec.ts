import './test-events';
import { randomUUID } from 'node:crypto';
import { metricsRegistry } from '@ebb/observability';
import { sleep, waitFor } from '@ebb/testing';
import { addToOutbox, topicMatches } from '../src';
import { type Bus, closeBrokerConnections, consumedCount, countEffects, openBus, recordEffect } from './harness';

const meta = (messageId: string) => ({
  messageId,
  type: 'claim.approved',
  correlationId: `corr-${messageId}`,
  occurredAt: new Date().toISOString(),
});

describe('idempotent consumer', () => {
  let bus: Bus;

  beforeAll(async () => {
    bus = await openBus('inbox');
    bus.consumer.handle('record-approval', 'claim.*', recordEffect);
    bus.consumer.handle('record-payment-failure', 'payment.failed', recordEffect);
    await bus.consumer.start();
  });
  afterAll(() => bus.close());

  it('applies a message delivered twice only once', async () => {
    const id = randomUUID();
    const content = Buffer.from(JSON.stringify({ key: 'twice' }));
    await bus.broker.publish('claim.approved', content, meta(id));
    await bus.broker.publish('claim.approved', content, meta(id));
    await waitFor(async () => (await consumedCount('record-approval', 'duplicate')) >= 1, { what: 'the second delivery' });
    expect(await countEffects(bus.dataSource, 'twice')).toBe(1);
  });

  it('applies a message delivered ten times at once only once', async () => {
    const id = randomUUID();
    const content = Buffer.from(JSON.stringify({ key: 'ten-at-once' }));
    const before = await consumedCount('record-approval', 'duplicate');
    await Promise.all(Array.from({ length: 10 }, () => bus.broker.publish('claim.approved', content, meta(id))));
    await waitFor(async () => (await consumedCount('record-approval', 'duplicate')) - before === 9, { what: 'all ten deliveries' });
    expect(await countEffects(bus.dataSource, 'ten-at-once')).toBe(1);
    const [inbox] = await bus.dataSource.query(`SELECT count(*)::int AS n FROM inbox WHERE message_id = $1`, [id]);
    expect(inbox.n).toBe(1);
  });

  it('carries the correlation id and the causing message id into events written by a handler', async () => {
    const id = randomUUID();
    const chained = await openBus('chain');
    try {
      chained.consumer.handle('approve-then-refund', 'claim.approved', async (message, manager) => {
        await addToOutbox(manager, { type: 'claim.succeeded', payload: { key: 'chained' } });
        await manager.query(`INSERT INTO effects (key, message_id) VALUES ('approved', $1)`, [message.messageId]);
      });
      chained.consumer.handle('record-success', 'claim.succeeded', recordEffect);
      await chained.consumer.start();
      await chained.relay.start();
      await chained.broker.publish('claim.approved', Buffer.from('{"key":"x"}'), meta(id));
      await waitFor(async () => (await countEffects(chained.dataSource, 'chained')) === 1, { what: 'the follow-up event' });
      const [row] = await chained.dataSource.query(`SELECT message_id FROM effects WHERE key = 'chained'`);
      expect(row.message_id).not.toBe(id);
      // the follow-up's headers are read back through a third handler-free check: the inbox saw both ids
      const ids = (await chained.dataSource.query(`SELECT message_id FROM inbox ORDER BY handled_at`)).map((r: { message_id: string }) => r.message_id);
      expect(ids).toEqual([id, row.message_id]);
    } finally {
      await chained.close();
    }
  });

  it('parks at once, unhandled, a message whose payload breaks its event schema', async () => {
    const id = randomUUID();
    await bus.broker.publish('payment.failed', Buffer.from(JSON.stringify({ key: 'no-order-id' })), { ...meta(id), type: 'payment.failed' });
    const [parked] = await waitFor(async () => {
      const list = (await bus.deadLetters.list()).items;
      return list.length === 1 && list;
    }, { what: 'the malformed message to be parked' });
    expect(parked).toMatchObject({ messageId: id, handler: 'record-payment-failure', attempts: 1 });
    expect(parked.error).toMatch(/payload does not match payment.failed/);
    expect(await countEffects(bus.dataSource, 'no-order-id')).toBe(0);
  });

  it('reports the messages waiting in its queue as message_queue_depth', async () => {
    const slow = await openBus('depth', { prefetch: 1 });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      slow.consumer.handle('hold', 'claim.*', async () => held);
      await slow.consumer.start();
      for (let i = 0; i < 5; i++) await slow.broker.publish('claim.approved', Buffer.from('{"key":"depth"}'), meta(randomUUID()));
      // one is delivered and held by the handler; four wait in the queue
      const line = await waitFor(async () => {
        const text = await metricsRegistry.metrics();
        return text.split('\n').find((row) => row.startsWith(`message_queue_depth{queue="${slow.consumer.queue}"} 4`));
      }, { what: 'a depth of 4' });
      expect(line).toBeDefined();
      release();
      await waitFor(async () => (await metricsRegistry.metrics()).includes(`message_queue_depth{queue="${slow.consumer.queue}"} 0`), { what: 'an empty queue' });
    } finally {
      release();
      await slow.close();
    }
    expect(await metricsRegistry.metrics()).not.toContain(`queue="${slow.consumer.queue}"`);
  });

  it('matches topic patterns as the broker does', () => {
    expect(topicMatches('claim.*', 'claim.approved')).toBe(true);
    expect(topicMatches('claim.*', 'claim.approved.late')).toBe(false);
    expect(topicMatches('claim.#', 'claim')).toBe(true);
    expect(topicMatches('#', 'order.paid')).toBe(true);
    expect(topicMatches('*.paid', 'order.paid')).toBe(true);
    expect(topicMatches('order.paid', 'basket.placed')).toBe(false);
  });
});

describe('batches at once', () => {
  // publishes `count` messages in order, each handler call sleeping a little; returns the most handler
  // calls seen running at once and the order the effects were written in
  // `company`: the first call waits (up to 5 s) until another runs beside it, so that side-by-side batches show
  // however slowly the publisher fills the queue on a loaded machine
  async function run(configure: (bus: Bus) => void, count = 200, company = false) {
    const bus = await openBus('batches');
    try {
      let running = 0;
      let most = 0;
      let first = true;
      bus.consumer.handle('record-in-order', 'claim.*', async (message, manager) => {
        most = Math.max(most, ++running);
        try {
          if (company && first) {
            first = false;
            const until = Date.now() + 5000;
            while (running < 2 && Date.now() < until) await sleep(5);
          }
          await sleep(2);
          await recordEffect(message as Parameters<typeof recordEffect>[0], manager);
        } finally {
          running--;
        }
      });
      configure(bus);
      await bus.consumer.start();
      // one channel keeps the order of the calls; sent together so deliveries pile up faster than they are handled
      await Promise.all(
        Array.from({ length: count }, (_, i) => bus.broker.publish('claim.approved', Buffer.from(JSON.stringify({ key: String(i) })), meta(randomUUID()))),
      );
      await waitFor(async () => (await countEffects(bus.dataSource)) === count, { what: `${count} effects` });
      const keys = (await bus.dataSource.query(`SELECT key FROM effects ORDER BY id`)).map((r: { key: string }) => Number(r.key));
      return { most, keys };
    } finally {
      await bus.close();
    }
  }

  it('runs one batch at a time, in queue order, when the service asks for one', async () => {
    const { most, keys } = await run((bus) => bus.consumer.batchesAtOnce(1));
    expect(most).toBe(1);
    expect(keys).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('runs several batches side by side by default', async () => {
    const { most } = await run(() => undefined, 200, true);
    expect(most).toBeGreaterThan(1);
  });

  it('refuses a count that is not a whole number of at least one', async () => {
    const bus = await openBus('batches-bad');
    try {
      expect(() => bus.consumer.batchesAtOnce(0)).toThrow(/whole number/);
      expect(() => bus.consumer.batchesAtOnce(1.5)).toThrow(/whole number/);
    } finally {
      await bus.close();
    }
  });
});

describe('retry then park', () => {
  let bus: Bus;
  let broken = true;
  const attempts: number[] = [];

  beforeAll(async () => {
    bus = await openBus('retry', { retryDelaysMs: [150, 300, 600] });
    bus.consumer.handle('flaky-refund', 'claim.requested', async (message, manager) => {
      attempts.push(Date.now());
      if (broken) throw new Error('provider adapter misconfigured');
      await recordEffect(message as never, manager);
    });
    await bus.consumer.start();
  });
  afterAll(() => bus.close());

  it('retries a failing handler three times with growing delays, then parks it with its error', async () => {
    await bus.broker.publish('claim.requested', Buffer.from('{"key":"parked"}'), { ...meta(randomUUID()), type: 'claim.requested' });
    const [parked] = await waitFor(async () => {
      const list = (await bus.deadLetters.list()).items;
      return list.length === 1 && list;
    }, { what: 'the message to be parked' });
    expect(attempts).toHaveLength(4);
    const gaps = attempts.slice(1).map((at, index) => at - attempts[index]);
    expect(gaps[0]).toBeGreaterThanOrEqual(140);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    expect(parked).toMatchObject({ handler: 'flaky-refund', type: 'claim.requested', attempts: 4, error: 'provider adapter misconfigured' });
    expect(await countEffects(bus.dataSource, 'parked')).toBe(0);
  });

  it('handles a replayed message once after the fault is fixed', async () => {
    const [parked] = (await bus.deadLetters.list()).items;
    broken = false;
    await bus.deadLetters.replay(parked.id);
    await waitFor(async () => (await countEffects(bus.dataSource, 'parked')) === 1, { what: 'the replayed message' });
    expect((await bus.deadLetters.list()).items).toEqual([]);
    expect(await bus.deadLetters.replay(parked.id)).toBeUndefined();
    await sleep(300);
    expect(await countEffects(bus.dataSource, 'parked')).toBe(1);
  });

  it('parks a message that is not JSON at once, without retrying', async () => {
    const before = attempts.length;
    await bus.broker.publish('claim.requested', Buffer.from('not json'), { ...meta(randomUUID()), type: 'claim.requested' });
    const [parked] = await waitFor(async () => {
      const list = (await bus.deadLetters.list()).items;
      return list.length === 1 && list;
    });
    expect(parked).toMatchObject({ attempts: 1, error: 'message content is not JSON' });
    expect(attempts.length).toBe(before);
    expect(await bus.deadLetters.discard(parked.id)).toBe(true);
    expect((await bus.deadLetters.list()).items).toEqual([]);
  });
});

describe('broker connections dropped under load', () => {
  let bus: Bus;

  beforeAll(async () => {
    bus = await openBus('reconnect');
    bus.consumer.handle('record-order', 'basket.#', recordEffect);
    await bus.consumer.start();
    await bus.relay.start();
  });
  afterAll(() => bus.close());

  it('reconnects publisher and consumer by themselves and consumes every message exactly once', async () => {
    const total = 1000;
    const perTransaction = 25;
    let dropped = 0;
    for (let start = 0; start < total; start += perTransaction) {
      await bus.dataSource.transaction((manager) =>
        addToOutbox(
          manager,
          Array.from({ length: perTransaction }, (_, index) => ({ type: 'basket.placed', payload: { key: `load-${start + index}` } })),
        ),
      );
      // drop every connection of this service twice while events keep coming
      if (start === 250 || start === 650) {
        await waitFor(() => bus.broker.isConnected(), { what: 'the connection to be back before dropping it again' });
        dropped += closeBrokerConnections(`ebb-${bus.service}`);
      }
      await sleep(5);
    }
    expect(dropped).toBeGreaterThanOrEqual(2);
    await waitFor(
      async () => (await bus.dataSource.query(`SELECT count(DISTINCT key)::int AS n FROM effects`))[0].n === total,
      { what: `all ${total} messages to be consumed`, timeoutMs: 45000 },
    );
    expect(await countEffects(bus.dataSource)).toBe(total);
    expect(bus.broker.isConnected()).toBe(true);
  });
});
