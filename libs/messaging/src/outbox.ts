import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type DomainEvent, eventPayloadSchemas, routingKeySchema } from '@ebb/contracts';
import { correlationId, currentCorrelation } from '@ebb/observability';
import { outboxCommits } from './outbox-signal';

/**
 * Writes events to the outbox inside the caller's transaction, so they are published if and only
 * if the state change commits. The correlation id (and the message that caused this work, if any)
 * come from the current context. Returns the new message ids.
 */
export async function addToOutbox(manager: EntityManager, events: DomainEvent | DomainEvent[]): Promise<string[]> {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) return [];
  if (!manager.queryRunner?.isTransactionActive) {
    // outside a transaction the event could be published for a change that never commits
    throw new Error('addToOutbox must run inside the transaction that changes the state');
  }
  const context = currentCorrelation();
  const correlation = context?.correlationId ?? correlationId();
  const ids: string[] = [];
  const values: unknown[] = [];
  const rows = list.map((event, index) => {
    routingKeySchema.parse(event.type);
    const schema = eventPayloadSchemas[event.type];
    const payload = schema ? schema.parse(event.payload) : event.payload;
    const id = randomUUID();
    ids.push(id);
    values.push(id, event.type, JSON.stringify(payload), correlation, context?.causationId ?? null);
    const base = index * 5;
    return `($${base + 1}, $${base + 2}, $${base + 3}::jsonb, $${base + 4}, $${base + 5})`;
  });
  await manager.query(
    `INSERT INTO outbox (message_id, routing_key, payload, correlation_id, causation_id) VALUES ${rows.join(', ')}`,
    values,
  );
  outboxCommits(manager.connection).mark(manager);
  return ids;
}
