import { z } from 'zod';
import { MAJOR_AMOUNT_PATTERN } from '@ebb/contracts';

const urlWithProtocols = (protocols: string[], example: string) =>
  z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return protocols.includes(url.protocol) && url.hostname.length > 0;
      } catch {
        return false;
      }
    },
    { message: `must be a URL like ${example}` },
  );

export const postgresUrl = urlWithProtocols(['postgres:', 'postgresql:'], 'postgres://user@host:5432/db');
export const amqpUrl = urlWithProtocols(['amqp:', 'amqps:'], 'amqp://guest:guest@127.0.0.1:5672');
export const redisUrl = urlWithProtocols(['redis:', 'rediss:'], 'redis://127.0.0.1:6379');

/** A comma-separated list of Redis URLs: several independent masters make a Redlock quorum. */
export const redisUrlList = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(z.array(redisUrl).min(1, 'must list at least one redis:// URL'));

/** A comma-separated list of browser origins (`https://console.shop.example`), each scheme, host and port only; empty for none. */
export const originList = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
  .pipe(
    z.array(
      z.string().refine((value) => {
        try {
          const url = new URL(value);
          return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
        } catch {
          return false;
        }
      }, 'must be a comma-separated list of origins like https://console.shop.example (no path, no trailing slash)'),
    ),
  );

export const port = z.coerce.number().int().min(1).max(65535);
export const positiveInt = z.coerce.number().int().positive();
export const nonNegativeInt = z.coerce.number().int().min(0);
export const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));
export const intList = z
  .string()
  .transform((value) => value.split(',').map((part) => part.trim()))
  .pipe(z.array(z.string().regex(/^[1-9][0-9]*$/, 'must be a comma-separated list of positive integers').transform(Number)).min(1));

/** An amount in major units of whatever currency it meets ("5000", "49.99"): convert with `majorToMinor`. */
export const majorAmount = z.string().trim().regex(MAJOR_AMOUNT_PATTERN, 'must be an amount in major units, like 5000 or 49.99');

export const DEV_JWT_SECRET = 'ebb-dev-secret';

/** Defaults point at the local servers of the development machine. */
export function serviceEnvSchema(service: string, defaultPort: number) {
  return z
    .object({
      NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
      PORT: port.default(defaultPort),
      HOST: z.string().default('0.0.0.0'),
      LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      DATABASE_URL: postgresUrl.default(`postgres://postgres@127.0.0.1:5432/ebb_${service}`),
      DATABASE_POOL_SIZE: positiveInt.default(10),
      AMQP_URL: amqpUrl.default('amqp://guest:guest@127.0.0.1:5672'),
      AMQP_PREFETCH: positiveInt.default(50),
      EBB_EXCHANGE: z.string().min(1).default('ebb.events'),
      REDIS_URLS: redisUrlList.default(['redis://127.0.0.1:6379']),
      EBB_JWT_SECRET: z.string().min(1).optional(),
      /** signs the `service` tokens services call each other with (gRPC, internal calls); EBB_JWT_SECRET in development unless set */
      EBB_SERVICE_SECRET: z.string().min(1).optional(),
      MESSAGE_MAX_RETRIES: nonNegativeInt.default(3),
      MESSAGE_RETRY_DELAYS_MS: intList.default([1000, 5000, 25000]),
      OUTBOX_POLL_MS: positiveInt.default(1000),
      OUTBOX_BATCH_SIZE: positiveInt.default(200),
      /** how often the outbound-call loop looks for calls due (retries, leases run out); a commit wakes it at once */
      OUTBOUND_POLL_MS: positiveInt.default(1000),
      SHUTDOWN_GRACE_MS: positiveInt.default(10000),
      /** durable timers (pg-boss): how often an idle worker asks for jobs due, in seconds (0.5 at least) */
      JOBS_POLL_SECONDS: z.coerce.number().min(0.5).max(60).default(2),
      /** a job still running after this many seconds (its process died) is tried again by any replica */
      JOBS_EXPIRE_SECONDS: positiveInt.default(60),
      /** how often one replica puts expired jobs back and archives old ones, in seconds */
      JOBS_MAINTENANCE_SECONDS: positiveInt.default(60),
      /** browser origins allowed to call this service's API (the operator console's); none unless set */
      CORS_ORIGINS: originList.default([]),
      /** writes one customer may make to one route per window (429 past it, counted in Redis across replicas); 0 for none */
      RATE_LIMIT_CUSTOMER_WRITES: nonNegativeInt.default(300),
      /** the same for support and admin, whose tools write in bursts; other services are never limited */
      RATE_LIMIT_STAFF_WRITES: nonNegativeInt.default(6000),
      RATE_LIMIT_WINDOW_SECONDS: positiveInt.default(60),
      // names the service's queues and its metrics label; tests running side by side give each its own
      EBB_SERVICE_NAME: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'may hold only lower-case letters, digits and _ . -')
        .optional(),
    })
    .transform((env, ctx) => {
      // production must be given its own secrets; development and tests fall back to the documented ones
      if (env.NODE_ENV === 'production') {
        const secrets = productionSecrets(ctx);
        secrets.requireOwn('EBB_JWT_SECRET', env.EBB_JWT_SECRET, DEV_JWT_SECRET);
        secrets.requireOwn('EBB_SERVICE_SECRET', env.EBB_SERVICE_SECRET, DEV_JWT_SECRET);
        if (env.EBB_SERVICE_SECRET && env.EBB_SERVICE_SECRET === env.EBB_JWT_SECRET) {
          secrets.refuse('EBB_SERVICE_SECRET', 'must differ from EBB_JWT_SECRET in production, so that people\'s tokens cannot speak as a service');
        }
        if (secrets.refused) return z.NEVER;
      }
      const jwtSecret = env.EBB_JWT_SECRET ?? DEV_JWT_SECRET;
      return { ...env, SERVICE_NAME: env.EBB_SERVICE_NAME ?? service, EBB_JWT_SECRET: jwtSecret, EBB_SERVICE_SECRET: env.EBB_SERVICE_SECRET ?? jwtSecret };
    });
}

/**
 * The refusals of a production environment's secrets, each an issue naming its variable (so a start
 * that fails says which), with `when` added to every message; `refused` says whether there was one.
 */
export function productionSecrets(ctx: { addIssue(issue: { code: 'custom'; path: string[]; message: string }): void }, when = '') {
  let refused = false;
  const refuse = (variable: string, message: string) => {
    refused = true;
    ctx.addIssue({ code: 'custom', path: [variable], message: `${message}${when}` });
  };
  return {
    refuse,
    /** A secret must be set, and not to the value development falls back to (it is in this repository for anyone to read). */
    requireOwn(variable: string, value: string | undefined, developmentDefault: string): void {
      if (!value) refuse(variable, 'is required in production');
      else if (value === developmentDefault) refuse(variable, 'is the development default, which must not be used in production');
    },
    get refused() {
      return refused;
    },
  };
}

export type ServiceEnv = z.output<ReturnType<typeof serviceEnvSchema>>;
