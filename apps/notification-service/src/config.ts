import { z } from 'zod';
import { positiveInt, productionSecrets, serviceEnvSchema } from '@ebb/config';

const smtpUrl = z.string().refine((value) => {
  try {
    return ['smtp:', 'smtps:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be a URL like smtp://127.0.0.1:2525');

/** The development signing key of merchant webhooks. */
export const DEV_MERCHANT_WEBHOOK_SECRET = 'whsec_merchant_local';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** notification-service's environment: the shared settings plus mail, merchant webhooks and the sender loop. */
export const notificationEnvSchema = z.intersection(
  serviceEnvSchema('notifications', 3005),
  z.object({
    SMTP_URL: smtpUrl.default('smtp://127.0.0.1:2525'),
    MAIL_FROM: z.string().min(1).default('Ebb <refunds@ebb.local>'),
    /** where final refund states are posted; unset means no merchant webhooks */
    MERCHANT_WEBHOOK_URL: httpUrl.optional(),
    /** HMAC-SHA256 key of `Ebb-Signature`; development falls back to a documented one, production must set it */
    MERCHANT_WEBHOOK_SECRET: z.string().min(1).optional(),
    /** the sender's polling fallback when no commit wakes it (the outbound-call loop's poll) */
    NOTIFY_POLL_MS: positiveInt.default(1000),
    /** notifications in flight at once per replica */
    NOTIFY_BATCH_SIZE: positiveInt.default(20),
    /** attempts before a mail is marked failed (refund.succeeded mails keep going at the slow rate) */
    NOTIFY_MAX_ATTEMPTS: positiveInt.default(5),
    /** delay after the first failed attempt; doubles with each further one */
    NOTIFY_BACKOFF_MS: positiveInt.default(2000),
    NOTIFY_MAX_BACKOFF_MS: positiveInt.default(300_000),
    /** the rate at which mails that must never be lost keep retrying after NOTIFY_MAX_ATTEMPTS */
    NOTIFY_SLOW_RETRY_MS: positiveInt.default(600_000),
    /** a send's lease: one whose process died mid-send is sent again after this long */
    NOTIFY_SENDING_TIMEOUT_MS: positiveInt.default(120_000),
    /** the longest one SMTP or webhook call may take */
    NOTIFY_SEND_TIMEOUT_MS: positiveInt.default(30_000),
  }),
).transform((env, ctx) => {
  if (env.MERCHANT_WEBHOOK_URL && env.NODE_ENV === 'production') {
    const secrets = productionSecrets(ctx, ' when MERCHANT_WEBHOOK_URL is set');
    secrets.requireOwn('MERCHANT_WEBHOOK_SECRET', env.MERCHANT_WEBHOOK_SECRET, DEV_MERCHANT_WEBHOOK_SECRET);
    if (secrets.refused) return z.NEVER;
  }
  return { ...env, MERCHANT_WEBHOOK_SECRET: env.MERCHANT_WEBHOOK_SECRET ?? DEV_MERCHANT_WEBHOOK_SECRET };
});

export type NotificationEnv = z.output<typeof notificationEnvSchema>;

/** Injection token of the parsed environment (`NotificationEnv`). */
export const NOTIFICATION_ENV = Symbol('ebb:notification-env');
