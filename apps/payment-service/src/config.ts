import { z } from 'zod';
import { booleanFlag, pemSetting, positiveInt, productionSecrets, sandboxKeys, serviceEnvSchema } from '@ebb/config';

/** The sandbox's keys, the development defaults: production must be given its own. */
export const DEV_STRIPE_SECRET_KEY = 'sk_test_ebb_local';
export const DEV_STRIPE_WEBHOOK_SECRET = 'whsec_ebb_local';
/** The sandbox's merchant ids (its keys are generated per machine, see sandboxKeys). */
export const DEV_ALIPAY_APP_ID = '2021000000000001';
export const DEV_WECHATPAY_MCHID = '1900000001';
export const DEV_WECHATPAY_APPID = 'wxd678efh567hg6787';

const httpUrl = (example: string) => z.url({ protocol: /^https?$/, error: `must be a URL like ${example}` });

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
    /** Alipay's gateway, the merchant's app id and private key, Alipay's public key, and where Alipay notifies */
    ALIPAY_GATEWAY: httpUrl('http://127.0.0.1:4010/alipay/gateway.do').default('http://127.0.0.1:4010/alipay/gateway.do'),
    ALIPAY_APP_ID: z.string().min(1).optional(),
    ALIPAY_APP_PRIVATE_KEY: pemSetting.optional(),
    ALIPAY_PUBLIC_KEY: pemSetting.optional(),
    ALIPAY_NOTIFY_URL: httpUrl('https://pay.shop.example/v1/webhooks/alipay').default('http://127.0.0.1:3002/v1/webhooks/alipay'),
    /** WeChat Pay v3: the API, the merchant (mchid, appid, API certificate serial and private key), the platform public key and its id, the APIv3 key */
    WECHATPAY_API_BASE: httpUrl('http://127.0.0.1:4010').default('http://127.0.0.1:4010'),
    WECHATPAY_MCHID: z.string().min(1).optional(),
    WECHATPAY_APPID: z.string().min(1).optional(),
    WECHATPAY_MERCHANT_SERIAL: z.string().min(1).optional(),
    WECHATPAY_MERCHANT_PRIVATE_KEY: pemSetting.optional(),
    WECHATPAY_PLATFORM_PUBLIC_KEY: pemSetting.optional(),
    WECHATPAY_PLATFORM_PUBLIC_KEY_ID: z.string().min(1).optional(),
    WECHATPAY_API_V3_KEY: z.string().length(32, 'must be the 32-character APIv3 key').optional(),
    WECHATPAY_NOTIFY_URL: httpUrl('https://pay.shop.example/v1/webhooks/wechatpay').default('http://127.0.0.1:3002/v1/webhooks/wechatpay'),
    /** the daily reconciliation (cron, in UTC) of every provider's previous day; off: only by hand (API, npm run reconcile) */
    RECONCILE_CRON: z.string().regex(/^(\S+\s+){4}\S+$/, 'must be a cron expression of five fields, like 30 1 * * *').default('30 1 * * *'),
    RECONCILE_DAILY: booleanFlag.default(true),
    /** how often the replicas look whether the cron has come round (pg-boss's cron monitor, 1–45 s) */
    RECONCILE_CRON_CHECK_SECONDS: z.coerce.number().int().min(1).max(45).default(30),
  }),
).transform((env, ctx) => {
  const alipay = [env.ALIPAY_APP_ID, env.ALIPAY_APP_PRIVATE_KEY, env.ALIPAY_PUBLIC_KEY];
  const wechatpay = [env.WECHATPAY_MCHID, env.WECHATPAY_APPID, env.WECHATPAY_MERCHANT_SERIAL, env.WECHATPAY_MERCHANT_PRIVATE_KEY, env.WECHATPAY_PLATFORM_PUBLIC_KEY, env.WECHATPAY_PLATFORM_PUBLIC_KEY_ID, env.WECHATPAY_API_V3_KEY];
  if (env.NODE_ENV === 'production') {
    const secrets = productionSecrets(ctx);
    secrets.requireOwn('STRIPE_SECRET_KEY', env.STRIPE_SECRET_KEY, DEV_STRIPE_SECRET_KEY);
    secrets.requireOwn('STRIPE_WEBHOOK_SECRET', env.STRIPE_WEBHOOK_SECRET, DEV_STRIPE_WEBHOOK_SECRET);
    // a shop uses Alipay or WeChat Pay only when it configures it whole: half a configuration is a mistake
    if (alipay.some(Boolean) && !alipay.every(Boolean)) secrets.refuse('ALIPAY_APP_ID', 'and ALIPAY_APP_PRIVATE_KEY, ALIPAY_PUBLIC_KEY must be set together');
    if (wechatpay.some(Boolean) && !wechatpay.every(Boolean)) secrets.refuse('WECHATPAY_MCHID', 'and the other WECHATPAY_* keys must be set together');
    if (secrets.refused) return z.NEVER;
    return {
      ...env,
      STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY!,
      STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET!,
      ALIPAY_ENABLED: alipay.every(Boolean),
      WECHATPAY_ENABLED: wechatpay.every(Boolean),
    };
  }
  // development and tests: the sandbox's merchant, with the keys generated for this machine (tmp/sandbox-keys)
  const keys = sandboxKeys();
  return {
    ...env,
    STRIPE_SECRET_KEY: env.STRIPE_SECRET_KEY ?? DEV_STRIPE_SECRET_KEY,
    STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET ?? DEV_STRIPE_WEBHOOK_SECRET,
    ALIPAY_ENABLED: true,
    ALIPAY_APP_ID: env.ALIPAY_APP_ID ?? DEV_ALIPAY_APP_ID,
    ALIPAY_APP_PRIVATE_KEY: env.ALIPAY_APP_PRIVATE_KEY ?? keys.alipay.appPrivateKey,
    ALIPAY_PUBLIC_KEY: env.ALIPAY_PUBLIC_KEY ?? keys.alipay.platformPublicKey,
    WECHATPAY_ENABLED: true,
    WECHATPAY_MCHID: env.WECHATPAY_MCHID ?? DEV_WECHATPAY_MCHID,
    WECHATPAY_APPID: env.WECHATPAY_APPID ?? DEV_WECHATPAY_APPID,
    WECHATPAY_MERCHANT_SERIAL: env.WECHATPAY_MERCHANT_SERIAL ?? keys.wechatpay.merchantSerial,
    WECHATPAY_MERCHANT_PRIVATE_KEY: env.WECHATPAY_MERCHANT_PRIVATE_KEY ?? keys.wechatpay.merchantPrivateKey,
    WECHATPAY_PLATFORM_PUBLIC_KEY: env.WECHATPAY_PLATFORM_PUBLIC_KEY ?? keys.wechatpay.platformPublicKey,
    WECHATPAY_PLATFORM_PUBLIC_KEY_ID: env.WECHATPAY_PLATFORM_PUBLIC_KEY_ID ?? keys.wechatpay.platformPublicKeyId,
    WECHATPAY_API_V3_KEY: env.WECHATPAY_API_V3_KEY ?? keys.wechatpay.apiV3Key,
  };
});

export type PaymentEnv = z.output<typeof paymentEnvSchema>;

/** Injection token of the parsed environment (`PaymentEnv`). */
export const PAYMENT_ENV = Symbol('ebb:payment-env');
