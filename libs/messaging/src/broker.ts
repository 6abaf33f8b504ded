import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, Options } from 'amqplib';
import type { Logger } from 'pino';
import { counter } from '@ebb/observability';
import { refuseInside } from '@ebb/persistence';
import type { MessageMeta } from '@ebb/contracts';
import { DEFAULT_PUBLISH_TIMEOUT_MS, Headers } from './messaging-options';

export interface BrokerOptions {
  url: string;
  exchange: string;
  /** shown by `rabbitmqctl list_connections client_properties`; tests close connections by it */
  connectionName: string;
  publishTimeoutMs?: number;
  logger?: Logger;
}

/**
 * The durable topic exchange every event goes through. A message no queue is bound for goes to
 * `<exchange>.unrouted` instead of being dropped by the broker.
 */
export async function assertEventExchange(channel: Channel, exchange: string): Promise<void> {
  const unrouted = `${exchange}.unrouted`;
  await channel.assertExchange(unrouted, 'fanout', { durable: true });
  await channel.assertQueue(unrouted, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await channel.bindQueue(unrouted, unrouted, '');
  await channel.assertExchange(exchange, 'topic', { durable: true, alternateExchange: unrouted });
}

interface Corkable {
  cork(): void;
  uncork(): void;
  writableCorked?: number;
}

/**
 * Holds a connection's socket writes until the event loop turns, so a burst of frames (a batch of
 * publishes or acks) leaves in one write: system calls, not bytes, were the relay's main cost.
 */
export function corkBurst(channelOrModel: unknown): void {
  const stream = (channelOrModel as { connection?: { stream?: Corkable } } | undefined)?.connection?.stream;
  if (!stream?.cork || stream.writableCorked) return;
  stream.cork();
  setImmediate(() => stream.uncork());
}

/** The AMQP properties and headers that carry a message's metadata. */
export function messageProperties(meta: MessageMeta, attempt = 0): Options.Publish {
  return {
    messageId: meta.messageId,
    type: meta.type,
    correlationId: meta.correlationId,
    contentType: 'application/json',
    persistent: true,
    timestamp: Math.floor(Date.parse(meta.occurredAt) / 1000),
    headers: {
      [Headers.correlationId]: meta.correlationId,
      [Headers.causationId]: meta.causationId,
      [Headers.occurredAt]: meta.occurredAt,
      [Headers.attempt]: attempt,
    },
  };
}

const published = () => counter('messages_published_total', 'Messages confirmed by the broker, by routing key', ['routing_key']);

/**
 * One connection to RabbitMQ that reconnects by itself, with a confirm channel for publishing:
 * a publish resolves only once the broker has taken responsibility for the message.
 */
export class AmqpBroker {
  readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly publishedTotal = published();

  constructor(private readonly options: BrokerOptions) {
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
      // no Nagle: a confirm or a delivery must not wait for the next packet
      connectionOptions: { noDelay: true, clientProperties: { connection_name: options.connectionName } },
    });
    this.connection.on('disconnect', ({ err }) => options.logger?.warn({ err: err?.message }, 'broker connection lost; reconnecting'));
    this.connection.on('connect', () => options.logger?.info('broker connected'));
    this.publisher = this.connection.createChannel({
      name: 'publisher',
      confirm: true,
      json: false,
      publishTimeout: options.publishTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
      setup: async (channel: ConfirmChannel) => {
        await assertEventExchange(channel, options.exchange);
      },
    });
    this.watch(this.publisher);
  }

  // a channel error is followed by a reconnection; unobserved it would crash the process
  private watch(channel: ChannelWrapper): ChannelWrapper {
    channel.on('error', (error: Error, info?: { name: string }) =>
      this.options.logger?.warn({ err: error.message, channel: info?.name }, 'broker channel error; it will be re-established'),
    );
    return channel;
  }

  get exchange(): string {
    return this.options.exchange;
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** Resolves when the first connection and the exchange are up. */
  waitForConnect(): Promise<void> {
    return this.publisher.waitForConnect();
  }

  /** Publishes to the exchange and waits for the broker's confirm. */
  async publish(routingKey: string, content: Buffer, meta: MessageMeta): Promise<void> {
    // events leave through the outbox, after the commit: never from inside a transaction
    refuseInside(() => `publish ${routingKey}`);
    await this.publisher.publish(this.options.exchange, routingKey, content, messageProperties(meta));
    this.publishedTotal.inc({ routing_key: routingKey });
  }

  /** Lets the publishes about to be made share socket writes (see `corkBurst`). */
  corkPublishes(): void {
    corkBurst(this.connection.connection);
  }

  /** Sends straight to one queue (retries, replays) and waits for the broker's confirm. */
  async sendToQueue(queue: string, content: Buffer, properties: Options.Publish): Promise<void> {
    await this.publisher.sendToQueue(queue, content, properties);
  }

  /** A channel of its own, re-set-up after every reconnection. */
  createChannel(name: string, setup: (channel: Channel) => Promise<void>): ChannelWrapper {
    return this.watch(this.connection.createChannel({ name, confirm: false, json: false, setup }));
  }

  async close(): Promise<void> {
    await this.publisher.close().catch(() => undefined);
    await this.connection.close();
  }
}
