import type { DataSource, EntityManager } from 'typeorm';
import { FAST_BUCKETS, counter, histogram, runWithCorrelation } from '@ebb/observability';
import { runStatement, statement } from '@ebb/persistence';
import type { IncomingMessage } from './incoming-message';

/**
 * Runs inside a database transaction that also records the message id in the inbox, so its effect
 * commits exactly once however often the message arrives. Messages that arrive together share one
 * transaction, and if any of them fails the batch rolls back and each runs again alone: so a handler
 * must have no effect outside `manager`. Write follow-up events with `addToOutbox(manager, …)`;
 * never call the network from here.
 */
export type MessageHandler<T = unknown> = (message: IncomingMessage<T>, manager: EntityManager) => Promise<void>;

/** A handler as the consumer keeps it: its inbox name and the topic patterns it takes. */
export interface Registration {
  name: string;
  patterns: readonly string[];
  handle: MessageHandler<any>;
}

/** `<service>.<verb>-<what>`: the inbox key of a handler, e.g. `orders.apply-refund`. */
export const HANDLER_NAME = /^[a-z]+\.[a-z]+(-[a-z]+)+$/;

export type ConsumeOutcome = 'handled' | 'duplicate' | 'retried' | 'parked';

/** `messages_consumed_total{handler,outcome}`, shared by the inbox and the retry policy. */
export const messagesConsumed = () =>
  counter<'handler' | 'outcome'>('messages_consumed_total', 'Messages handled, by handler and outcome', ['handler', 'outcome']);

const handleDuration = () =>
  histogram('message_handle_duration_seconds', 'Handler run time, by handler', ['handler'], FAST_BUCKETS);

const RECORD_ONE = statement('inbox-record-one', `INSERT INTO inbox (message_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1`);
const RECORD_MANY = statement(
  'inbox-record-many',
  `INSERT INTO inbox (message_id, handler) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING RETURNING message_id, handler`,
);

const key = (messageId: string, handler: string) => `${messageId}\u0000${handler}`;

/**
 * The inbox: a handler's effect and the row (message id, handler) commit in one transaction, so a
 * second delivery finds the row and does nothing. This is the only place handlers run.
 */
export class Inbox {
  private readonly consumed = messagesConsumed();
  private readonly duration = handleDuration();

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Runs every (message, handler) pair in one transaction: one commit for the lot. Throws, with
   * nothing committed, if any handler throws; the caller then runs each message alone.
   */
  async runTogether(pairs: { message: IncomingMessage; handler: Registration }[]): Promise<void> {
    const outcomes: { handler: string; outcome: ConsumeOutcome }[] = [];
    await this.dataSource.transaction(async (manager) => {
      const inserted: { message_id: string; handler: string }[] = await runStatement(manager, RECORD_MANY, [
        pairs.map((pair) => pair.message.messageId),
        pairs.map((pair) => pair.handler.name),
      ]);
      const fresh = new Set(inserted.map((row) => key(row.message_id, row.handler)));
      for (const { message, handler } of pairs) {
        // a message twice in one batch, or already handled before: its effect is not applied again
        if (!fresh.delete(key(message.messageId, handler.name))) {
          outcomes.push({ handler: handler.name, outcome: 'duplicate' });
          continue;
        }
        const stopTimer = this.duration.startTimer({ handler: handler.name });
        await runWithCorrelation({ correlationId: message.correlationId, causationId: message.messageId }, () =>
          handler.handle(message, manager),
        );
        stopTimer();
        outcomes.push({ handler: handler.name, outcome: 'handled' });
      }
    });
    for (const { handler, outcome } of outcomes) this.consumed.inc({ handler, outcome });
  }

  /** Runs one handler on one message in a transaction of its own. */
  async runAlone(handler: Registration, message: IncomingMessage): Promise<void> {
    const stopTimer = this.duration.startTimer({ handler: handler.name });
    const outcome = await runWithCorrelation({ correlationId: message.correlationId, causationId: message.messageId }, () =>
      this.dataSource.transaction(async (manager): Promise<ConsumeOutcome> => {
        const inserted: unknown[] = await runStatement(manager, RECORD_ONE, [message.messageId, handler.name]);
        if (inserted.length === 0) return 'duplicate';
        await handler.handle(message, manager);
        return 'handled';
      }),
    );
    stopTimer();
    this.consumed.inc({ handler: handler.name, outcome });
  }
}
