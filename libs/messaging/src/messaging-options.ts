/** How one service talks to the bus. The defaults come from `serviceEnvSchema` in @ebb/config. */
export interface MessagingOptions {
  /** names the service's queues: `<service>.events`, `<service>.retry.<ms>` */
  service: string;
  url: string;
  /** the durable topic exchange every domain event goes through */
  exchange: string;
  prefetch: number;
  /** retries before a failing message is parked */
  maxRetries: number;
  /** delay before retry n is `retryDelaysMs[n - 1]` (the last one repeats) */
  retryDelaysMs: number[];
  /** the relay's polling fallback when no NOTIFY arrives */
  outboxPollMs: number;
  outboxBatchSize: number;
  /** how long a publish may wait for the broker's confirm before the batch is retried */
  publishTimeoutMs?: number;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

export const queueNames = (service: string) => ({
  events: `${service}.events`,
  retry: (delayMs: number) => `${service}.retry.${delayMs}`,
});

/** Header names carried by every message, beside the AMQP properties messageId, type and correlationId. */
export const Headers = {
  correlationId: 'x-correlation-id',
  causationId: 'x-causation-id',
  attempt: 'x-ebb-attempt',
  occurredAt: 'x-occurred-at',
} as const;
