import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** The ids that follow one piece of work (a refund, say) across requests, messages and services. */
export interface CorrelationContext {
  correlationId: string;
  /** id of the message or request that caused the current work */
  causationId?: string;
}

const storage = new AsyncLocalStorage<CorrelationContext>();

export const CORRELATION_HEADER = 'x-correlation-id';

export function newCorrelationId(): string {
  return randomUUID();
}

/** Runs fn with the given correlation context; everything it logs, publishes or calls carries it. */
export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentCorrelation(): CorrelationContext | undefined {
  return storage.getStore();
}

/** The current correlation id, or a new one when work starts outside any context. */
export function correlationId(): string {
  return storage.getStore()?.correlationId ?? newCorrelationId();
}
