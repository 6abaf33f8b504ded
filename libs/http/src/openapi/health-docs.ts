import { ObservabilityController } from '@ebb/observability';
import { z } from 'zod';
import { Answers } from './route-docs';

const checks = z.record(z.string(), z.strictObject({ ok: z.boolean(), error: z.string().optional() }));

/**
 * The answers of the health routes, declared here because @ebb/observability (which serves them)
 * sits below @ebb/http and cannot use its decorators.
 */
export function documentHealthRoutes(): void {
  const decorate = (method: 'live' | 'ready', answers: Parameters<typeof Answers>[0]) => {
    const descriptor = Object.getOwnPropertyDescriptor(ObservabilityController.prototype, method)!;
    Answers(answers)(ObservabilityController.prototype, method, descriptor);
  };
  decorate('live', { 200: z.strictObject({ status: z.literal('ok') }) });
  decorate('ready', {
    200: z.strictObject({ status: z.literal('ok'), checks }),
    503: z.strictObject({ status: z.literal('unavailable'), checks }),
  });
}
