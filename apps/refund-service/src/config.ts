import { z } from 'zod';
import { booleanFlag, majorAmount, positiveInt, productionSecrets, serviceEnvSchema } from '@ebb/config';
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
  /** inventory-service's HTTP API: products' titles, descriptions and sellers (refund windows, policy migrations) */
  INVENTORY_URL: z.url({ protocol: /^https?$/, error: 'must be a URL like http://127.0.0.1:3004' }).default(`http://127.0.0.1:${DEFAULT_PORTS.inventory}`),
  /** an inventory call that takes longer fails (503 inventory_service_unavailable, or a migration step tried again) */
  INVENTORY_TIMEOUT_MS: positiveInt.default(5000),
  /** a shop's own vocabulary for refund-window recommendations (JSON, added to the built-in one; docs/policies.md) */
  POLICY_VOCABULARY_PATH: z.string().min(1).optional(),
  /** a recommendation less sure than this falls back to 30 days (0–1) */
  POLICY_MIN_CONFIDENCE: z.coerce.number({ error: 'must be a number from 0 to 1' }).min(0).max(1).default(0.5),
  /** products a policy migration changes (or rolls back) per transaction */
  POLICY_MIGRATION_BATCH_SIZE: positiveInt.default(100),
  /** how long one migration step holds its run: a step whose process died is taken up again after this long */
  POLICY_MIGRATION_LEASE_MS: positiveInt.default(60_000),
  /** attempts of a migration step that cannot reach inventory- or order-service before the run fails (and waits for a resume) */
  POLICY_MIGRATION_MAX_ATTEMPTS: positiveInt.default(8),
  /** the wait after a step's first failed attempt; doubles with each further one, at most a minute */
  POLICY_MIGRATION_RETRY_MS: positiveInt.default(1000),
  /** S3-compatible object storage for refund vouchers: S3, MinIO, OSS, or the local s3rver that `npm run infra` starts */
  OBJECT_STORAGE_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be a URL like http://127.0.0.1:4569' }).default('http://127.0.0.1:4569'),
  /** the address clients fetch vouchers from, when not the endpoint (presigned URLs name it) */
  OBJECT_STORAGE_PUBLIC_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be a URL like https://files.shop.example' }).optional(),
  OBJECT_STORAGE_REGION: z.string().min(1).default('us-east-1'),
  OBJECT_STORAGE_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name').default('ebb-vouchers'),
  OBJECT_STORAGE_ACCESS_KEY_ID: z.string().min(1).optional(),
  OBJECT_STORAGE_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /** path-style URLs (`host/bucket/key`): MinIO and s3rver want them; AWS takes either */
  OBJECT_STORAGE_FORCE_PATH_STYLE: booleanFlag.default(true),
  /** how long a voucher's presigned URL in GET /v1/refunds/:id works */
  VOUCHER_URL_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(300),
  /** storing a voucher is tried this often (the wait doubling from VOUCHER_STORE_BACKOFF_MS up to the max), then parked for an operator */
  VOUCHER_STORE_MAX_ATTEMPTS: positiveInt.default(20),
  VOUCHER_STORE_BACKOFF_MS: positiveInt.default(2000),
  VOUCHER_STORE_MAX_BACKOFF_MS: positiveInt.default(10 * 60_000),
});

/** s3rver's own credentials, the local defaults: production must be given its own. */
export const DEV_OBJECT_STORAGE_KEY = 'S3RVER';

export const refundEnvSchema = serviceEnvSchema('refunds', DEFAULT_PORTS.refund)
  .and(refundSettings)
  .transform((env, ctx) => {
    if (env.NODE_ENV === 'production') {
      const secrets = productionSecrets(ctx);
      secrets.requireOwn('OBJECT_STORAGE_ACCESS_KEY_ID', env.OBJECT_STORAGE_ACCESS_KEY_ID, DEV_OBJECT_STORAGE_KEY);
      secrets.requireOwn('OBJECT_STORAGE_SECRET_ACCESS_KEY', env.OBJECT_STORAGE_SECRET_ACCESS_KEY, DEV_OBJECT_STORAGE_KEY);
      if (secrets.refused) return z.NEVER;
    }
    return {
      ...env,
      OBJECT_STORAGE_ACCESS_KEY_ID: env.OBJECT_STORAGE_ACCESS_KEY_ID ?? DEV_OBJECT_STORAGE_KEY,
      OBJECT_STORAGE_SECRET_ACCESS_KEY: env.OBJECT_STORAGE_SECRET_ACCESS_KEY ?? DEV_OBJECT_STORAGE_KEY,
    };
  });

export type RefundEnv = z.output<typeof refundEnvSchema>;

/** Injection token of the parsed environment (`RefundEnv`). */
export const REFUND_ENV = Symbol('ebb:refund-env');
