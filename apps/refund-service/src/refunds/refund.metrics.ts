import { counter, histogram } from '@ebb/observability';

/** From the request to a final state; the slow buckets are for refunds that wait for a person or a parcel. */
export const refundProcessSeconds = histogram(
  'refund_process_duration_seconds',
  'Time from a refund request to its final state',
  ['outcome'],
  [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300],
);

export const refundsTotal = counter('refunds_total', 'Refunds that reached an outcome (succeeded, failed, rejected, cancelled)', ['outcome']);

export const refundRequestSeconds = histogram(
  'refund_request_duration_seconds',
  'Time to accept a refund request (POST /v1/refunds → 201)',
  [],
  [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
);

/** From the refund request to the moment payment-service sent it to the provider. */
export const refundRequestToProviderSeconds = histogram(
  'refund_request_to_provider_seconds',
  'Time from a refund request to the provider call that pays it',
  [],
  [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
);

/** Observes the request → provider latency a payment result reports, if it reports one. */
export function observeProviderLatency(requestedAt: Date, providerCalledAt: string | undefined): void {
  if (!providerCalledAt) return;
  const seconds = (Date.parse(providerCalledAt) - requestedAt.getTime()) / 1000;
  if (Number.isFinite(seconds) && seconds >= 0) refundRequestToProviderSeconds.observe(seconds);
}
