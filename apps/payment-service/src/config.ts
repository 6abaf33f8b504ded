import { z } from 'zod';
import { positiveInt, productionSecrets, serviceEnvSchema } from '@ebb/config';

/** The sandbox's keys, the development defaults: production must be given its own. */
export const DEV_STRIPE_SECRET_KEY = 'sk_test_ebb_local';
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_ebb_local';

/** payment-service's environment: the shared settings plus the provider, OrderQuery and refund loops. */
export const paymentEnvSchema = serviceEnvSchema('payments', 3002).and(
  z.object({
    ORDER_GRPC_URL: z.string().min(1).default('127.0.0.1:50051'),
    STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be a URL like http://127.0.0.1:4010' }).default('http://127.0.0.1:4010'),
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    /** verifies Stripe-Signature: with a known one anybody could forge a refund's success */
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** a provider refund still pending this long is asked for its status */
    REFUND_SYNC_AFTER_MS: positiveInt.default(60000),
    /** how often the outbound-call loop (provider refunds, payment cancellations) looks for work it was not woken for */
    REFUND_DISPATCH_POLL_MS: positiveInt.default(1000),
    /** provider calls in flight at once per replica (a call takes ~0.5 s at Stripe; mind its rate limit) */
    REFUND_DISPATCH_CONCURRENCY: positiveInt.default(32),
    /** a call's lease: one whose process died mid-call is sent again after this long, with the same idempotency key */
    REFUND_CALL_RETRY_MS: positiveInt.default(90000),
    /** attempts of one provider refund whose outcome stays unknown (timeouts, 5xx), the last a look-up; then parked as outcome_unknown */
    PROVIDER_REFUND_MAX_ATTEMPTS: positiveInt.default(8),
    /** the wait after the first unknown outcome, doubling after each, at most PROVIDER_REFUND_MAX_BACKOFF_MS */
    PROVIDER_REFUND_BACKOFF_MS: positiveInt.default(2000),
    PROVIDER_REFUND_MAX_BACKOFF_MS: positiveInt.default(10 * 60_000),
    /** a repeat later than this after the first call looks the refund up first: Stripe forgets idempotency keys after 24 h */
    PROVIDER_IDEMPOTENCY_HORIZON_MS: positiveInt.default(23 * 60 * 60_000),
    /** how long POST /v1/payments waits for OrderQuery.GetOrder */
    ORDER_GRPC_TIMEOUT_MS: positiveInt.default(5000),
  }),
).transform((env, ctx) => {
  if (env.NODE_ENV === 'production') {
    const secrets = productionSecrets(ctx);
    secrets.requireOwn('STRIPE_SECRET_KEY', env.STRIPE_SECRET_KEY, DEV_STRIPE_SECRET_KEY);
    secrets.requireOwn('STRIPE_WEBHOOK_SECRET', env.STRIPE_WEBHOOK_SECRET, DEV_STRIPE_WEBHOOK_SECRET);
    if (secrets.refused) return z.NEVER;
  }
  return { ...env, STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY ?? DEV_STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET ?? DEV_STRIPE_WEBHOOK_SECRET };
});

export type PaymentEnv = z.output<typeof paymentEnvSchema>;

/** Injection token of the parsed environment (`PaymentEnv`). */
export const PAYMENT_ENV = Symbol('ebb:payment-env');
