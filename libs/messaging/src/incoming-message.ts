import type { ConsumeMessage } from 'amqplib';
import { eventTypeOf } from '@ebb/contracts';
import { Headers } from './messaging-options';

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

/** The event type a delivery says it carries (its AMQP type, else its routing key). */
export const typeOf = (raw: ConsumeMessage): string => raw.properties.type ?? raw.fields.routingKey;

/** How many times the delivery was retried before (0 on the first). */
export const attemptOf = (raw: ConsumeMessage): number => Number(raw.properties.headers?.[Headers.attempt] ?? 0) || 0;

/**
 * Reads a delivery as a handler will see it, its payload checked by its event type's schema.
 * Throws PoisonMessageError for one no retry can fix (no id, not JSON, a payload its type refuses).
 */
export function readDelivery(raw: ConsumeMessage): IncomingMessage {
  const headers = raw.properties.headers ?? {};
  const type = typeOf(raw);
  const messageId = raw.properties.messageId;
  if (!messageId) throw new PoisonMessageError('message has no messageId');
  let payload: unknown;
  try {
    payload = JSON.parse(raw.content.toString('utf8'));
  } catch {
    throw new PoisonMessageError('message content is not JSON');
  }
  const parsed = eventTypeOf(type)?.schema.safeParse(payload);
  if (parsed && !parsed.success) throw new PoisonMessageError(`payload does not match ${type}: ${parsed.error.message}`);
  return {
    messageId,
    type,
    payload: parsed ? parsed.data : payload,
    correlationId: raw.properties.correlationId ?? String(headers[Headers.correlationId] ?? messageId),
    causationId: headers[Headers.causationId] ? String(headers[Headers.causationId]) : undefined,
    attempt: attemptOf(raw),
  };
}
