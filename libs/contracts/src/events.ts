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

/** Names of the events that services exchange. */
export const EventNames = {
  OrderPlaced: 'order.placed',
  OrderPaid: 'order.paid',
  OrderCancelled: 'order.cancelled',
  OrderShipped: 'order.shipped',
  PaymentSucceeded: 'payment.succeeded',
  PaymentFailed: 'payment.failed',
  PaymentRefundSucceeded: 'payment.refund_succeeded',
  PaymentRefundFailed: 'payment.refund_failed',
  RefundRequested: 'refund.requested',
  RefundApproved: 'refund.approved',
  RefundRejected: 'refund.rejected',
  RefundSucceeded: 'refund.succeeded',
  RefundFailed: 'refund.failed',
  RefundCancelled: 'refund.cancelled',
} as const;
export type EventName = (typeof EventNames)[keyof typeof EventNames];

export const routingKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]*(\.[a-z0-9_*#-]+)+$/, 'must look like <aggregate>.<event>');

/** A payload schema per event name, checked when it is written to the outbox and when it is consumed. */
export const eventPayloadSchemas: Partial<Record<string, z.ZodType>> = {};

/** Registers a payload schema; a service's contracts call this once at import. */
export function defineEvent<S extends z.ZodType>(name: string, schema: S): { name: string; schema: S } {
  eventPayloadSchemas[name] = schema;
  return { name, schema };
}
