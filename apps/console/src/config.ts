import path from 'node:path';
import { z } from 'zod';
import { DEV_JWT_SECRET, booleanFlag, port, productionSecrets } from '@ebb/config';

/** The services the page talks to, each at the URL a browser reaches it (not the cluster's inside address). */
export const CONSOLE_SERVICES = ['order', 'payment', 'refund', 'inventory', 'notification'] as const;
export type ConsoleService = (typeof CONSOLE_SERVICES)[number];

const DEFAULT_PORTS: Record<ConsoleService, number> = { order: 3001, payment: 3002, refund: 3003, inventory: 3004, notification: 3005 };

const browserUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.pathname === '/' && !url.search && !url.hash;
  } catch {
    return false;
  }
}, 'must be a URL like https://refunds.api.shop.example (scheme, host and port; no path)');

/** A service's public URL without the trailing slash URL() adds. */
const serviceUrl = (service: ConsoleService) => browserUrl.default(`http://127.0.0.1:${DEFAULT_PORTS[service]}`).transform((url) => url.replace(/\/$/, ''));

/**
 * The console's environment: where it listens, where the built page is, the service URLs it hands the
 * page at run time (`/config.json`, so one build serves any deployment), and how people sign in.
 */
export const consoleEnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: port.default(3000),
    HOST: z.string().default('0.0.0.0'),
    ORDER_URL: serviceUrl('order'),
    PAYMENT_URL: serviceUrl('payment'),
    REFUND_URL: serviceUrl('refund'),
    INVENTORY_URL: serviceUrl('inventory'),
    NOTIFICATION_URL: serviceUrl('notification'),
    /** the built page (`npm run console:build`) */
    CONSOLE_DIST: z.string().min(1).default(path.resolve(__dirname, '../../../dist/console')),
    /** where the page sends a person to sign in with the shop's identity provider, which comes back with `#token=<JWT>` */
    CONSOLE_SSO_URL: browserUrl.or(z.string().url()).optional(),
    /** dev login (a choice of role, a token minted here): on by default outside production, never in production */
    CONSOLE_DEV_LOGIN: booleanFlag.optional(),
    /** signs the dev tokens: the services' EBB_JWT_SECRET (the development secret when unset) */
    EBB_JWT_SECRET: z.string().min(1).optional(),
  })
  .transform((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    if (production && env.CONSOLE_DEV_LOGIN) {
      productionSecrets(ctx).refuse('CONSOLE_DEV_LOGIN', 'must not be on in production: people sign in with the shop\'s identity provider');
      return z.NEVER;
    }
    return {
      ...env,
      devLogin: !production && env.CONSOLE_DEV_LOGIN !== false,
      jwtSecret: env.EBB_JWT_SECRET ?? DEV_JWT_SECRET,
      services: {
        order: env.ORDER_URL,
        payment: env.PAYMENT_URL,
        refund: env.REFUND_URL,
        inventory: env.INVENTORY_URL,
        notification: env.NOTIFICATION_URL,
      } satisfies Record<ConsoleService, string>,
    };
  });
export type ConsoleEnv = z.output<typeof consoleEnvSchema>;
