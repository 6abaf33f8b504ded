import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { type EventType, type PayloadOf, eventTypeOf } from '@ebb/contracts';
import { FAST_BUCKETS, counter, gauge, histogram, runWithCorrelation } from '@ebb/observability';
import { type AmqpBroker, assertEventExchange, corkBurst } from './broker';
import { DeadLetterStore } from './dead-letters';
import { Headers, type MessagingOptions, queueNames } from './messaging-options';

/** A message as a handler sees it. */
export interface IncomingMessage<T = unknown> {
  messageId: string;
  type: string;
  payload: T;
  correlationId: string;
  causationId?: string;
  /** 0 on first delivery, n on the n-th retry */
  attempt: number;
}

/**
 * Runs inside a database transaction that also records the message id in the inbox, so its effect
 * commits exactly once however often the message arrives. Messages that arrive together share one
 * transaction, and if any of them fails the batch rolls back and each runs again alone: so a handler
 * must have no effect outside `manager`. Write follow-up events with `addToOutbox(manager, …)`;
 * never call the network from here.
 */
export type MessageHandler<T = unknown> = (message: IncomingMessage<T>, manager: EntityManager) => Promise<void>;

interface Registration {
  name: string;
  patterns: readonly string[];
  handle: MessageHandler<any>;
}

/** `<service>.<verb>-<what>`: the inbox key of a handler, e.g. `orders.apply-refund`. */
export const HANDLER_NAME = /^[a-z]+\.[a-z]+(-[a-z]+)+$/;

interface Delivery {
  channel: Channel;
  raw: ConsumeMessage;
  message: IncomingMessage;
  handlers: Registration[];
}

/** The most deliveries handled in one transaction. */
const MAX_BATCH = 50;
/** Batches in flight at once, unless the service says otherwise; more deliveries wait for the next batch. */
const CONCURRENT_BATCHES = 4;

/** Thrown for a message that no retry can fix (not JSON, wrong payload): it is parked at once. */
export class PoisonMessageError extends Error {}

/** Whether a routing key matches an AMQP topic pattern (`*` one word, `#` zero or more words). */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const match = (p: string[], k: string[]): boolean => {
    if (p.length === 0) return k.length === 0;
    if (p[0] === '#') return match(p.slice(1), k) || (k.length > 0 && match(p, k.slice(1)));
    if (k.length === 0) return false;
    return (p[0] === '*' || p[0] === k[0]) && match(p.slice(1), k.slice(1));
  };
  return match(pattern.split('.'), routingKey.split('.'));
}

/** Consumers of this process that have started, for the queue-depth gauge. */
const consuming = new Set<MessageConsumer>();

/** `message_queue_depth{queue}`, read from the broker when /metrics is scraped. */
const queueDepthGauge = () =>
  gauge('message_queue_depth', 'Messages ready in a service queue, not yet delivered', ['queue'], async function collect() {
    this.reset();
    for (const consumer of consuming) {
      const depth = await consumer.queueDepth();
      if (depth !== undefined) this.set({ queue: consumer.queue }, depth);
    }
  });

type ConsumerOptions = Pick<MessagingOptions, 'service' | 'exchange' | 'prefetch' | 'maxRetries' | 'retryDelaysMs'>;

/**
 * Consumes the service's quorum queue: every message goes to the handlers whose pattern matches
 * its routing key, each inside its own inbox transaction. A failing handler is retried through
 * delay queues (TTL, dead-lettered back to the main queue) with growing delays, then parked.
 */
export class MessageConsumer {
  private readonly handlers: Registration[] = [];
  private channel?: ChannelWrapper;
  private readonly consumerTags = new Map<Channel, string>();
  private readonly liveChannels = new Set<Channel>();
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = false;
  private readonly waiting: { delivery: Delivery; done: () => void }[] = [];
  private flushScheduled = false;
  private activeBatches = 0;
  private concurrentBatches = CONCURRENT_BATCHES;
  private readonly queues: ReturnType<typeof queueNames>;
  private readonly consumed = counter('messages_consumed_total', 'Messages handled, by handler and outcome', ['handler', 'outcome']);
  private readonly duration = histogram('message_handle_duration_seconds', 'Handler run time, by handler', ['handler'], FAST_BUCKETS);

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: AmqpBroker,
    private readonly deadLetters: DeadLetterStore,
    private readonly options: ConsumerOptions,
    private readonly logger?: Logger,
  ) {
    this.queues = queueNames(options.service);
    queueDepthGauge();
  }

  get queue(): string {
    return this.queues.events;
  }

  /**
   * How many batches may run at once (4 unless set). One, for a service whose handlers all lock the
   * same few rows (inventory's stock): concurrent batches would only queue on each other's row locks,
   * deadlock (each message then runs again alone), and let a message overtake the one before it.
   */
  batchesAtOnce(count: number): this {
    if (!Number.isInteger(count) || count < 1) throw new Error(`batchesAtOnce takes a whole number ≥ 1, not ${count}`);
    this.concurrentBatches = count;
    return this;
  }

  /**
   * Handles events of one type (or each of several): `consumer.on(RefundSucceeded, 'orders.apply-refund',
   * ({ payload }, manager) => …)`, the payload typed and checked by the type's schema. `name` keys the
   * inbox, so keep it stable across releases: `<service>.<verb>-<what>` (HANDLER_NAME).
   */
  on<E extends EventType>(types: E | readonly E[], name: string, handle: MessageHandler<PayloadOf<E>>): this {
    if (!HANDLER_NAME.test(name)) throw new Error(`handler name ${name} is not <service>.<verb>-<what> (lowercase, dashes)`);
    const list: readonly EventType[] = Array.isArray(types) ? types : [types];
    return this.handle(name, list.map((type) => type.name), handle as MessageHandler<unknown>);
  }

  /** Registers a handler for topic patterns (`claim.*`); apps use `on` with event types. */
  handle<T = unknown>(name: string, patterns: string | readonly string[], handle: MessageHandler<T>): this {
    if (this.handlers.some((handler) => handler.name === name)) throw new Error(`handler ${name} registered twice`);
    this.handlers.push({ name, patterns: typeof patterns === 'string' ? [patterns] : patterns, handle });
    return this;
  }

  /** The handlers and the event types they take, for the catalog (docs/events.md). */
  registrations(): { name: string; patterns: readonly string[] }[] {
    return this.handlers.map(({ name, patterns }) => ({ name, patterns }));
  }

  private retryDelays(): number[] {
    const delays = this.options.retryDelaysMs;
    return Array.from({ length: this.options.maxRetries }, (_, index) => delays[Math.min(index, delays.length - 1)]);
  }

  /** Declares the queues and bindings and starts consuming; again after every reconnection. */
  async start(): Promise<void> {
    if (this.handlers.length === 0) return;
    this.accepting = true;
    const patterns = [...new Set(this.handlers.flatMap((handler) => handler.patterns))];
    const delays = [...new Set(this.retryDelays())];
    this.channel = this.broker.createChannel('consumer', async (channel) => {
      await assertEventExchange(channel, this.options.exchange);
      await channel.assertQueue(this.queues.events, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      for (const pattern of patterns) await channel.bindQueue(this.queues.events, this.options.exchange, pattern);
      for (const delay of delays) {
        // a message waits here for `delay` ms, then the broker dead-letters it back to the main queue
        await channel.assertQueue(this.queues.retry(delay), {
          durable: true,
          arguments: {
            'x-message-ttl': delay,
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': this.queues.events,
          },
        });
      }
      await channel.prefetch(this.options.prefetch);
      if (!this.accepting) return;
      this.liveChannels.add(channel);
      consuming.add(this);
      channel.once('close', () => {
        this.liveChannels.delete(channel);
        this.consumerTags.delete(channel);
      });
      const { consumerTag } = await channel.consume(this.queues.events, (message) => {
        if (message) this.track(this.onMessage(channel, message));
      });
      this.consumerTags.set(channel, consumerTag);
    });
    await this.channel.waitForConnect();
  }

  /** Takes no new messages and waits (up to `graceMs`) for those in flight; the rest are redelivered. */
  async stop(graceMs = 10_000): Promise<void> {
    this.accepting = false;
    for (const [channel, tag] of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    this.consumerTags.clear();
    consuming.delete(this);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    await this.channel?.close().catch(() => undefined);
  }

  /** The broker's count of ready messages in the service queue, or undefined while not consuming. */
  async queueDepth(): Promise<number | undefined> {
    const [channel] = this.liveChannels;
    if (!channel) return undefined;
    try {
      return (await channel.checkQueue(this.queues.events)).messageCount;
    } catch {
      return undefined; // the channel closed under us: the next scrape asks the reconnected one
    }
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Parses a delivery; a message no retry can fix is parked at once. Valid ones join the next batch. */
  private async onMessage(channel: Channel, raw: ConsumeMessage): Promise<void> {
    const headers = raw.properties.headers ?? {};
    const attempt = Number(headers[Headers.attempt] ?? 0) || 0;
    const type = raw.properties.type ?? raw.fields.routingKey;
    const messageId = raw.properties.messageId;
    const handlers: Registration[] = this.handlers.filter((handler) => handler.patterns.some((pattern) => topicMatches(pattern, type)));
    try {
      if (!messageId) throw new PoisonMessageError('message has no messageId');
      let payload: unknown;
      try {
        payload = JSON.parse(raw.content.toString('utf8'));
      } catch {
        throw new PoisonMessageError('message content is not JSON');
      }
      const schema = eventTypeOf(type)?.schema;
      const parsed = schema?.safeParse(payload);
      if (parsed && !parsed.success) throw new PoisonMessageError(`payload does not match ${type}: ${parsed.error.message}`);
      const message: IncomingMessage = {
        messageId,
        type,
        payload: parsed ? parsed.data : payload,
        correlationId: raw.properties.correlationId ?? String(headers[Headers.correlationId] ?? messageId),
        causationId: headers[Headers.causationId] ? String(headers[Headers.causationId]) : undefined,
        attempt,
      };
      await this.enqueue({ channel, raw, message, handlers });
    } catch (error) {
      await this.park(channel, raw, handlers[0]?.name ?? 'none', error as Error, attempt);
    }
  }

  // deliveries that arrive together are handled in one transaction: one commit instead of one per message
  private enqueue(delivery: Delivery): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ delivery, done: resolve });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    // few batches at a time: deliveries that arrive meanwhile wait and make the next batch larger
    while (this.waiting.length > 0 && this.activeBatches < this.concurrentBatches) {
      const batch = this.waiting.splice(0, MAX_BATCH);
      this.activeBatches++;
      const work = this.handleBatch(batch.map((entry) => entry.delivery)).finally(() => {
        this.activeBatches--;
        batch.forEach((entry) => entry.done());
        if (this.waiting.length > 0) this.flush();
      });
      this.track(work);
    }
  }

  /**
   * Runs a batch in one transaction; if any handler throws, the batch rolls back and each message is
   * handled alone, so only the failing one is retried or parked.
   */
  private async handleBatch(batch: Delivery[]): Promise<void> {
    if (batch.length === 1) return this.handleOne(batch[0]);
    const pairs = batch.flatMap((delivery) => delivery.handlers.map((handler) => ({ delivery, handler })));
    const outcomes: { handler: string; outcome: 'handled' | 'duplicate' }[] = [];
    try {
      await this.dataSource.transaction(async (manager) => {
        const inserted: { message_id: string; handler: string }[] = await manager.query(
          `INSERT INTO inbox (message_id, handler) SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT DO NOTHING RETURNING message_id, handler`,
          [pairs.map((pair) => pair.delivery.message.messageId), pairs.map((pair) => pair.handler.name)],
        );
        const fresh = new Set(inserted.map((row) => `${row.message_id}\u0000${row.handler}`));
        for (const { delivery, handler } of pairs) {
          const key = `${delivery.message.messageId}\u0000${handler.name}`;
          // a message twice in one batch, or already handled before: its effect is not applied again
          if (!fresh.delete(key)) {
            outcomes.push({ handler: handler.name, outcome: 'duplicate' });
            continue;
          }
          const stopTimer = this.duration.startTimer({ handler: handler.name });
          const { message } = delivery;
          await runWithCorrelation({ correlationId: message.correlationId, causationId: message.messageId }, () =>
            handler.handle(message, manager),
          );
          stopTimer();
          outcomes.push({ handler: handler.name, outcome: 'handled' });
        }
      });
    } catch {
      for (const delivery of batch) await this.handleOne(delivery);
      return;
    }
    for (const { handler, outcome } of outcomes) this.consumed.inc({ handler, outcome });
    corkBurst(batch[0].channel);
    for (const delivery of batch) this.ack(delivery.channel, delivery.raw);
  }

  private async handleOne({ channel, raw, message, handlers }: Delivery): Promise<void> {
    for (const handler of handlers) {
      try {
        await this.runHandler(handler, message);
      } catch (error) {
        await this.retryOrPark(channel, raw, handler.name, error as Error, message.attempt);
        return;
      }
    }
    this.ack(channel, raw);
  }

  /** The handler's effect and the inbox row commit together; a second delivery finds the row and does nothing. */
  private async runHandler(handler: Registration, message: IncomingMessage): Promise<void> {
    const stopTimer = this.duration.startTimer({ handler: handler.name });
    const outcome = await runWithCorrelation({ correlationId: message.correlationId, causationId: message.messageId }, () =>
      this.dataSource.transaction(async (manager) => {
        const inserted: unknown[] = await manager.query(
          `INSERT INTO inbox (message_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
          [message.messageId, handler.name],
        );
        if (inserted.length === 0) return 'duplicate';
        await handler.handle(message, manager);
        return 'handled';
      }),
    );
    stopTimer();
    this.consumed.inc({ handler: handler.name, outcome });
  }

  private async retryOrPark(channel: Channel, raw: ConsumeMessage, handler: string, error: Error, attempt: number) {
    const delays = this.retryDelays();
    if (attempt >= delays.length) {
      await this.park(channel, raw, handler, error, attempt);
      return;
    }
    this.logger?.warn({ handler, messageId: raw.properties.messageId, attempt, err: error.message }, 'handler failed; will retry');
    try {
      // the copy is confirmed by the broker before the original is acked, so a crash in between duplicates, never loses
      await this.broker.sendToQueue(this.queues.retry(delays[attempt]), raw.content, {
        ...raw.properties,
        headers: { ...raw.properties.headers, [Headers.attempt]: attempt + 1 },
        expiration: undefined,
        persistent: true,
      });
      this.consumed.inc({ handler, outcome: 'retried' });
      this.ack(channel, raw);
    } catch (publishError) {
      this.logger?.error({ err: (publishError as Error).message }, 'could not schedule a retry; message goes back to the queue');
      this.nack(channel, raw);
    }
  }

  private async park(channel: Channel, raw: ConsumeMessage, handler: string, error: Error, attempt: number) {
    try {
      await this.deadLetters.park({
        messageId: raw.properties.messageId ?? '(none)',
        type: raw.properties.type ?? raw.fields.routingKey,
        handler,
        queue: this.queues.events,
        content: raw.content.toString('utf8'),
        correlationId: raw.properties.correlationId,
        causationId: raw.properties.headers?.[Headers.causationId],
        error: error.message || String(error),
        attempts: attempt + 1,
      });
      this.logger?.error({ handler, messageId: raw.properties.messageId, attempts: attempt + 1, err: error.message }, 'message parked');
      this.consumed.inc({ handler, outcome: 'parked' });
      this.ack(channel, raw);
    } catch (parkError) {
      this.logger?.error({ err: (parkError as Error).message }, 'could not park a message; it goes back to the queue');
      this.nack(channel, raw);
    }
  }

  // acks go to the channel the message came on; if that channel died the broker redelivers it anyway
  private ack(channel: Channel, raw: ConsumeMessage) {
    if (this.liveChannels.has(channel)) channel.ack(raw);
  }

  private nack(channel: Channel, raw: ConsumeMessage) {
    if (this.liveChannels.has(channel)) channel.nack(raw, false, true);
  }
}
