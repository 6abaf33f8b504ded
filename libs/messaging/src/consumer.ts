import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { EventType, PayloadOf } from '@ebb/contracts';
import { gauge } from '@ebb/observability';
import { type AmqpBroker, assertEventExchange, corkBurst } from './broker';
import { Batcher } from './batcher';
import type { DeadLetterStore } from './dead-letters';
import { HANDLER_NAME, Inbox, type MessageHandler, type Registration } from './inbox';
import { type IncomingMessage, attemptOf, readDelivery, topicMatches, typeOf } from './incoming-message';
import { type MessagingOptions, queueNames } from './messaging-options';
import { RetryPolicy, type Settlement } from './retry-policy';

/** A message read off a channel, with the handlers it goes to. */
interface Delivery {
  channel: Channel;
  raw: ConsumeMessage;
  message: IncomingMessage;
  handlers: Registration[];
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
 * its routing key. Three parts do the work, each in its own file: the Batcher gathers deliveries
 * that arrive together, the Inbox runs their handlers exactly once per message (one transaction
 * for a batch, each message alone if any fails), the RetryPolicy sends a failed one to a delay
 * queue or parks it. This class owns the channel: queues, bindings, acks and a graceful stop.
 */
export class MessageConsumer {
  private readonly handlers: Registration[] = [];
  private channel?: ChannelWrapper;
  private readonly consumerTags = new Map<Channel, string>();
  private readonly liveChannels = new Set<Channel>();
  private readonly inFlight = new Set<Promise<void>>();
  private accepting = false;
  private readonly queues: ReturnType<typeof queueNames>;
  private readonly inbox: Inbox;
  private readonly retries: RetryPolicy;
  private readonly batches = new Batcher<Delivery>(
    (batch) => this.handleBatch(batch),
    (work) => this.track(work),
  );

  constructor(
    dataSource: DataSource,
    private readonly broker: AmqpBroker,
    deadLetters: DeadLetterStore,
    private readonly options: ConsumerOptions,
    logger?: Logger,
  ) {
    this.queues = queueNames(options.service);
    this.inbox = new Inbox(dataSource);
    this.retries = new RetryPolicy(broker, deadLetters, options, logger);
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
    this.batches.atOnce(count);
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

  /** Declares the queues and bindings and starts consuming; again after every reconnection. */
  async start(): Promise<void> {
    if (this.handlers.length === 0) return;
    this.accepting = true;
    const patterns = [...new Set(this.handlers.flatMap((handler) => handler.patterns))];
    const delays = [...new Set(this.retries.delays())];
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

  /** Reads a delivery; a message no retry can fix is parked at once. Valid ones join the next batch. */
  private async onMessage(channel: Channel, raw: ConsumeMessage): Promise<void> {
    const type = typeOf(raw);
    const handlers = this.handlers.filter((handler) => handler.patterns.some((pattern) => topicMatches(pattern, type)));
    let message: IncomingMessage;
    try {
      message = readDelivery(raw);
    } catch (error) {
      this.settle(channel, raw, await this.retries.park(raw, handlers[0]?.name ?? 'none', error as Error, attemptOf(raw)));
      return;
    }
    await this.batches.add({ channel, raw, message, handlers });
  }

  /** A batch in one transaction; if any handler throws, each message is handled alone, so only the failing one is retried. */
  private async handleBatch(batch: Delivery[]): Promise<void> {
    if (batch.length === 1) return this.handleOne(batch[0]);
    try {
      await this.inbox.runTogether(batch.flatMap(({ message, handlers }) => handlers.map((handler) => ({ message, handler }))));
    } catch {
      for (const delivery of batch) await this.handleOne(delivery);
      return;
    }
    corkBurst(batch[0].channel);
    for (const delivery of batch) this.settle(delivery.channel, delivery.raw, 'ack');
  }

  private async handleOne({ channel, raw, message, handlers }: Delivery): Promise<void> {
    for (const handler of handlers) {
      try {
        await this.inbox.runAlone(handler, message);
      } catch (error) {
        this.settle(channel, raw, await this.retries.retryOrPark(raw, handler.name, error as Error, message.attempt));
        return;
      }
    }
    this.settle(channel, raw, 'ack');
  }

  // acks go to the channel the message came on; if that channel died the broker redelivers it anyway
  private settle(channel: Channel, raw: ConsumeMessage, settlement: Settlement): void {
    if (!this.liveChannels.has(channel)) return;
    if (settlement === 'ack') channel.ack(raw);
    else channel.nack(raw, false, true);
  }
}
