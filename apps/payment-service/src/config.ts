import { z } from 'zod';
import { positiveInt, serviceEnvSchema } from '@ebb/config';

/** payment-service's environment: the shared settings plus the provider, OrderQuery and refund loops. */
export const paymentEnvSchema = serviceEnvSchema('payments', 3002).and(
  z.object({
    ORDER_GRPC_URL: z.string().min(1).default('127.0.0.1:50051'),
    STRIPE_API_BASE: z.url({ protocol: /^https?$/, error: 'must be a URL like http://127.0.0.1:4010' }).default('http://127.0.0.1:4010'),
    STRIPE_SECRET_KEY: z.string().min(1).default('sk_test_ebb_local'),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_ebb_local'),
    /** a provider refund still pending this long is asked for its status */
    REFUND_SYNC_AFTER_MS: positiveInt.default(60000),
    /** how often the refund dispatcher looks for work it was not woken for */
    REFUND_DISPATCH_POLL_MS: positiveInt.default(1000),
    /** provider refund calls in flight at once per replica (a call takes ~0.5 s at Stripe; mind its rate limit) */
    REFUND_DISPATCH_CONCURRENCY: positiveInt.default(32),
    /** a refund left `calling` this long (a crash mid-call) is sent again with the same idempotency key */
    REFUND_CALL_RETRY_MS: positiveInt.default(30000),
    /** how long POST /v1/payments waits for OrderQuery.GetOrder */
    ORDER_GRPC_TIMEOUT_MS: positiveInt.default(5000),
  }),
);

export type PaymentEnv = z.output<typeof paymentEnvSchema>;
