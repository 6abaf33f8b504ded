import { z } from 'zod';

/** Every message on the bus carries these, as AMQP properties and headers. */
export interface MessageMeta {
  messageId: string;
  type: string;
  correlationId: string;
  causationId?: string;
  occurredAt: string;
}

/** A domain event: its routing key is `<aggregate>.<event>`, its payload a plain JSON object. */
export interface DomainEvent<T = Record<string, unknown>> {
  type: string;
  payload: T;
}

export const routingKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_*#-]+)+$/, 'must look like <aggregate>.<event>');

/**
 * An event type: its routing key and its payload's schema in one value. Write one with
 * `addToOutbox(manager, RefundSucceeded, payload)` (or `RefundSucceeded.of(payload)` in a list), handle
 * it with `consumer.on(RefundSucceeded, name, handler)`: the payload is typed and checked both ways.
 */
export interface EventType<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  /** one event of this type */
  of(payload: z.output<S>): DomainEvent<z.output<S>>;
}

/** The payload type of an event type. */
export type PayloadOf<E> = E extends EventType<infer S> ? z.output<S> : never;

const registry = new Map<string, EventType>();

/** Declares an event type (in @ebb/contracts, once): the outbox refuses any type not declared. */
export function defineEvent<S extends z.ZodType>(name: string, schema: S): EventType<S> {
  routingKeySchema.parse(name);
  if (registry.has(name)) throw new Error(`event type ${name} is defined twice`);
  const type: EventType<S> = { name, schema, of: (payload) => ({ type: name, payload }) };
  registry.set(name, type as unknown as EventType);
  return type;
}

/** The declared event type of a routing key, if any. */
export function eventTypeOf(name: string): EventType | undefined {
  return registry.get(name);
}

/** Every declared event type, by routing key (the catalog in docs/events.md is made from them). */
export function eventTypes(): EventType[] {
  return [...registry.values()].sort((a, b) => a.name.localeCompare(b.name));
}
