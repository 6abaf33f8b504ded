import { counter, histogram } from '@ebb/observability';

const duration = () =>
  histogram('provider_request_duration_seconds', 'Payment provider calls, by provider, operation and outcome', ['provider', 'operation', 'outcome'], [
    0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
  ]);
const errors = () => counter('provider_errors_total', 'Payment provider calls that failed, by provider and operation', ['provider', 'operation']);

/** Times a provider call and counts its failures. */
export async function measured<T>(provider: string, operation: string, call: () => Promise<T>): Promise<T> {
  const stop = duration().startTimer({ provider, operation });
  try {
    const result = await call();
    stop({ outcome: 'ok' });
    return result;
  } catch (error) {
    stop({ outcome: 'error' });
    errors().inc({ provider, operation });
    throw error;
  }
}
