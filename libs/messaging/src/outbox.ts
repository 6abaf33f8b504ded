import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type DomainEvent, type EventType, type PayloadOf, eventTypeOf } from '@ebb/contracts';
import { correlationId, currentCorrelation } from '@ebb/observability';
import { runStatement, statement } from '@ebb/persistence';
import { outboxCommits } from './outbox-signal';

/** An event written to the outbox whose type no `defineEvent` declared: a typo, or a contract not written yet. */
export class UnregisteredEventError extends Error {
  override readonly name = 'UnregisteredEventError';
}

const INSERT_EVENTS = statement(
  'outbox-insert',
  `INSERT INTO outbox (message_id, routing_key, payload, correlation_id, causation_id)
   SELECT * FROM unnest($1::uuid[], $2::text[], $3::jsonb[], $4::text[], $5::text[])`,
);

/**
 * Writes events to the outbox inside the caller's transaction, so they are published if and only
 * if the state change commits: `addToOutbox(manager, RefundSucceeded, payload)`, or a list made with
 * `RefundSucceeded.of(payload)`. Only declared event types pass, each payload checked by its schema.
 * The correlation id (and the message that caused this work, if any) come from the current context.
 * Returns the new message ids.
 */
export async function addToOutbox<E extends EventType>(manager: EntityManager, type: E, payload: PayloadOf<E>): Promise<string[]>;
export async function addToOutbox(manager: EntityManager, events: DomainEvent | DomainEvent[]): Promise<string[]>;
export async function addToOutbox(manager: EntityManager, what: EventType | DomainEvent | DomainEvent[], payload?: unknown): Promise<string[]> {
  const list = 'schema' in what ? [what.of(payload)] : Array.isArray(what) ? what : [what];
  if (list.length === 0) return [];
  if (!manager.queryRunner?.isTransactionActive) {
    // outside a transaction the event could be published for a change that never commits
    throw new Error('addToOutbox must run inside the transaction that changes the state');
  }
  const context = currentCorrelation();
  const correlation = context?.correlationId ?? correlationId();
  const payloads = list.map((event) => {
    const type = eventTypeOf(event.type);
    if (!type) throw new UnregisteredEventError(`event type ${event.type} is not declared: add it with defineEvent in @ebb/contracts`);
    return JSON.stringify(type.schema.parse(event.payload));
  });
  const ids = list.map(() => randomUUID());
  await runStatement(manager, INSERT_EVENTS, [
    ids,
    list.map((event) => event.type),
    payloads,
    list.map(() => correlation),
    list.map(() => context?.causationId ?? null),
  ]);
  outboxCommits(manager.connection).mark(manager);
  return ids;
}
