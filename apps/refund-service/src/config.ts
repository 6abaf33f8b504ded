import { z } from 'zod';
import { majorAmount, positiveInt, serviceEnvSchema } from '@ebb/config';
import { DEFAULT_PORTS } from '@ebb/contracts';

/** refund-service's own settings, beside those every service has. */
const refundSettings = z.object({
  ORDER_GRPC_URL: z.string().min(1).default(`127.0.0.1:${DEFAULT_PORTS.orderGrpc}`),
  /** a GetOrder call that takes longer is answered 503 order_service_unavailable */
  ORDER_GRPC_DEADLINE_MS: positiveInt.default(2000),
  /**
   * Above this, one refund always needs a person: major units of the order's currency (5000 is
   * ¥5,000, $5,000.00, 5,000.000 KWD), converted with the currency's exponent where it meets a refund.
   */
  REFUND_MAX_AUTO_AMOUNT: majorAmount.default('5000'),
  /** the carrier's API (the sandbox's stand-in locally): refunds of parcels in transit ask it to intercept them */
  CARRIER_URL: z.url({ protocol: /^https?$/, error: 'must be a URL like http://127.0.0.1:4010/carrier' }).default(`http://127.0.0.1:${DEFAULT_PORTS.sandbox}/carrier`),
  /** a carrier call that takes longer fails and is retried with the message */
  CARRIER_TIMEOUT_MS: positiveInt.default(5000),
  /**
   * a refund waiting for a seller's manual review is approved by the system after this many hours
   * (fractions allowed: tests shorten it); one above REFUND_MAX_AUTO_AMOUNT always waits for a person
   */
  REFUND_AUTO_APPROVE_HOURS: z.coerce.number().positive().max(24 * 365).default(2),
  /** every refund request gets a first decision within this many hours: a gauge, a breach counter, an alert before it */
  REFUND_SLA_HOURS: z.coerce.number().positive().max(24 * 365).default(48),
});

export const refundEnvSchema = serviceEnvSchema('refunds', DEFAULT_PORTS.refund).and(refundSettings);

export type RefundEnv = z.output<typeof refundEnvSchema>;

/** Injection token of the parsed environment (`RefundEnv`). */
export const REFUND_ENV = Symbol('ebb:refund-env');
