import type { ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import type { AmqpBroker } from './broker';
import type { DeadLetterStore } from './dead-letters';
import { messagesConsumed } from './inbox';
import { Headers, type MessagingOptions, queueNames } from './messaging-options';
import { typeOf } from './incoming-message';

/** What becomes of the delivery on its channel: acked (a copy is safe elsewhere) or back to the queue. */
export type Settlement = 'ack' | 'requeue';

/**
 * What happens to a message a handler failed on: it waits in a delay queue (TTL, dead-lettered back
 * to the main queue) with growing delays, `maxRetries` times, then is parked as a dead letter. A copy
 * is always confirmed (by the broker or the database) before the original is acked, so a crash in
 * between duplicates a message, never loses one.
 */
export class RetryPolicy {
  private readonly consumed = messagesConsumed();
  private readonly queues: ReturnType<typeof queueNames>;

  constructor(
    private readonly broker: AmqpBroker,
    private readonly deadLetters: DeadLetterStore,
    private readonly options: Pick<MessagingOptions, 'service' | 'maxRetries' | 'retryDelaysMs'>,
    private readonly logger?: Logger,
  ) {
    this.queues = queueNames(options.service);
  }

  /** The wait before each retry, one per retry: `retryDelaysMs`, its last value repeated. */
  delays(): number[] {
    const delays = this.options.retryDelaysMs;
    return Array.from({ length: this.options.maxRetries }, (_, index) => delays[Math.min(index, delays.length - 1)]);
  }

  async retryOrPark(raw: ConsumeMessage, handler: string, error: Error, attempt: number): Promise<Settlement> {
    const delays = this.delays();
    if (attempt >= delays.length) return this.park(raw, handler, error, attempt);
    this.logger?.warn({ handler, messageId: raw.properties.messageId, attempt, err: error.message }, 'handler failed; will retry');
    try {
      await this.broker.sendToQueue(this.queues.retry(delays[attempt]), raw.content, {
        ...raw.properties,
        headers: { ...raw.properties.headers, [Headers.attempt]: attempt + 1 },
        expiration: undefined,
        persistent: true,
      });
      this.consumed.inc({ handler, outcome: 'retried' });
      return 'ack';
    } catch (publishError) {
      this.logger?.error({ err: (publishError as Error).message }, 'could not schedule a retry; message goes back to the queue');
      return 'requeue';
    }
  }

  async park(raw: ConsumeMessage, handler: string, error: Error, attempt: number): Promise<Settlement> {
    try {
      await this.deadLetters.park({
        messageId: raw.properties.messageId ?? '(none)',
        type: typeOf(raw),
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
      return 'ack';
    } catch (parkError) {
      this.logger?.error({ err: (parkError as Error).message }, 'could not park a message; it goes back to the queue');
      return 'requeue';
    }
  }
}
