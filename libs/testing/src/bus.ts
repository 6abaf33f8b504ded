import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';
import { type AmqpBroker, assertEventExchange } from '@ebb/messaging';
import { TEST_AMQP_URL } from './infra';

/** An event a test saw on the bus. */
export interface SeenEvent {
  type: string;
  messageId: string;
  payload: any;
}

/** Publishes an event as another service would; give `messageId` to redeliver the same message. Resolves to the message id. */
export type PublishAs = (type: string, payload: unknown, messageId?: string) => Promise<string>;

/**
 * A queue of the test's own on `exchange`, bound to `pattern` (`refund.#`) before anything is
 * published: `events` holds every matching event, in arrival order, until `close`.
 */
export async function watchBus(exchange: string, pattern: string): Promise<{ events: SeenEvent[]; close(): Promise<void> }> {
  const connection = await amqplib.connect(TEST_AMQP_URL);
  const channel = await connection.createChannel();
  // the exchange as the services declare it, so the queue can bind before any service starts
  await assertEventExchange(channel, exchange);
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, pattern);
  const events: SeenEvent[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (!message) return;
      events.push({
        type: message.properties.type ?? message.fields.routingKey,
        messageId: message.properties.messageId,
        payload: JSON.parse(message.content.toString('utf8')),
      });
    },
    { noAck: true },
  );
  return { events, close: () => connection.close().catch(() => undefined) };
}

/** `publish(type, payload, messageId?)` through `broker`, with the headers every Ebb message carries. */
export function publisherOn(broker: Pick<AmqpBroker, 'publish'>): PublishAs {
  return async (type, payload, messageId = randomUUID()) => {
    await broker.publish(type, Buffer.from(JSON.stringify(payload)), {
      messageId,
      type,
      correlationId: `test-${messageId}`,
      occurredAt: new Date().toISOString(),
    });
    return messageId;
  };
}
