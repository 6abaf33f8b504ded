import { intList } from '@ebb/config';
import { z } from 'zod';

const DEFAULT_SMTP_PORT = 2525;
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
  })
  .transform((env, ctx) => {
    // it forges payments and signs webhooks with a shared secret: never a part of a real deployment
    if (env.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: ['NODE_ENV'], message: 'is production: the sandbox never runs in production' });
      return z.NEVER;
    }
    return { ...env, SMTP_PORT: env.SMTP_PORT ?? DEFAULT_SMTP_PORT, SMTP_PORT_REQUIRED: env.SMTP_PORT !== undefined };
  });

export type SandboxEnv = z.output<typeof sandboxEnvSchema>;

export const SANDBOX_ENV = Symbol('ebb:sandbox-env');
