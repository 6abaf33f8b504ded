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
