import { intList, pemSetting, sandboxKeys } from '@ebb/config';
import { z } from 'zod';

const DEFAULT_SMTP_PORT = 2525;
/** The sandbox's merchant ids; payment-service's development defaults are the same. */
export const DEV_ALIPAY_APP_ID = '2021000000000001';
export const DEV_WECHATPAY_MCHID = '1900000001';
export const DEV_WECHATPAY_APPID = 'wxd678efh567hg6787';
const portOrZero = z.coerce.number().int().min(0).max(65535);

/**
 * The sandbox's own settings. It has no database and no bus, so it does not extend serviceEnvSchema.
 * PORT/SMTP_PORT may be 0 (a free port) so tests can start several side by side.
 */
export const sandboxEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: portOrZero.default(4010),
    HOST: z.string().min(1).default('127.0.0.1'),
    /** unset: 2525, and a busy port only turns the SMTP sink off (a test that needs it sets the port) */
    SMTP_PORT: portOrZero.optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('warn'),
    SANDBOX_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:3002/v1/webhooks/stripe'),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).default('whsec_ebb_local'),
    SANDBOX_REFUND_SETTLE_MS: z.coerce.number().int().min(0).default(200),
    /** waits before each new attempt of a webhook the receiver did not accept (then it is given up) */
    SANDBOX_WEBHOOK_RETRY_DELAYS_MS: intList.default([250, 1000, 4000, 15000, 60000]),
    /** how long webhooks are held when `reorderWebhooks` is on, before they go out in reverse order */
    SANDBOX_REORDER_WINDOW_MS: z.coerce.number().int().min(0).default(300),
    /** Alipay's and WeChat Pay's notifications: the waits before each retry, three at most */
    SANDBOX_NOTIFY_RETRY_DELAYS_MS: intList.pipe(z.array(z.number()).max(3, 'the sandbox retries a notification at most 3 times')).default([1000, 5000, 15000]),
    /** Alipay: the merchant's app id, its public key (verifies requests), Alipay's private key (signs answers and notifications) */
    SANDBOX_ALIPAY_APP_ID: z.string().min(1).default(DEV_ALIPAY_APP_ID),
    SANDBOX_ALIPAY_APP_PUBLIC_KEY: pemSetting.optional(),
    SANDBOX_ALIPAY_PRIVATE_KEY: pemSetting.optional(),
    /** WeChat Pay: the merchant (mchid, appid, certificate serial and public key) and the platform's key pair, key id and the APIv3 key */
    SANDBOX_WECHATPAY_MCHID: z.string().min(1).default(DEV_WECHATPAY_MCHID),
    SANDBOX_WECHATPAY_APPID: z.string().min(1).default(DEV_WECHATPAY_APPID),
    SANDBOX_WECHATPAY_MERCHANT_SERIAL: z.string().min(1).optional(),
    SANDBOX_WECHATPAY_MERCHANT_PUBLIC_KEY: pemSetting.optional(),
    SANDBOX_WECHATPAY_PLATFORM_PRIVATE_KEY: pemSetting.optional(),
    SANDBOX_WECHATPAY_PLATFORM_PUBLIC_KEY_ID: z.string().min(1).optional(),
    SANDBOX_WECHATPAY_API_V3_KEY: z.string().length(32, 'must be the 32-character APIv3 key').optional(),
  })
  .transform((env, ctx) => {
    // it forges payments and signs webhooks with a shared secret: never a part of a real deployment
    if (env.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['NODE_ENV'], message: 'is production: the sandbox never runs in production' });
      return z.NEVER;
    }
    // keys left unset are the ones generated for this machine (tmp/sandbox-keys), which payment-service reads too
    const keys = sandboxKeys();
    return {
      ...env,
      SMTP_PORT: env.SMTP_PORT ?? DEFAULT_SMTP_PORT,
      SMTP_PORT_REQUIRED: env.SMTP_PORT !== undefined,
      SANDBOX_ALIPAY_APP_PUBLIC_KEY: env.SANDBOX_ALIPAY_APP_PUBLIC_KEY ?? keys.alipay.appPublicKey,
      SANDBOX_ALIPAY_PRIVATE_KEY: env.SANDBOX_ALIPAY_PRIVATE_KEY ?? keys.alipay.platformPrivateKey,
      SANDBOX_WECHATPAY_MERCHANT_SERIAL: env.SANDBOX_WECHATPAY_MERCHANT_SERIAL ?? keys.wechatpay.merchantSerial,
      SANDBOX_WECHATPAY_MERCHANT_PUBLIC_KEY: env.SANDBOX_WECHATPAY_MERCHANT_PUBLIC_KEY ?? keys.wechatpay.merchantPublicKey,
      SANDBOX_WECHATPAY_PLATFORM_PRIVATE_KEY: env.SANDBOX_WECHATPAY_PLATFORM_PRIVATE_KEY ?? keys.wechatpay.platformPrivateKey,
      SANDBOX_WECHATPAY_PLATFORM_PUBLIC_KEY_ID: env.SANDBOX_WECHATPAY_PLATFORM_PUBLIC_KEY_ID ?? keys.wechatpay.platformPublicKeyId,
      SANDBOX_WECHATPAY_API_V3_KEY: env.SANDBOX_WECHATPAY_API_V3_KEY ?? keys.wechatpay.apiV3Key,
    };
  });

export type SandboxEnv = z.output<typeof sandboxEnvSchema>;

export const SANDBOX_ENV = Symbol('ebb:sandbox-env');
