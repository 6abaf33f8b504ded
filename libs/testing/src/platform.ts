import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import amqplib from 'amqplib';
import { dropDatabase } from '@ebb/persistence';
import { TEST_AMQP_URL, TEST_PG_BASE, uniqueSuffix, waitFor } from './infra';

const ROOT = path.resolve(__dirname, '../../..');

/** The apps of the platform, by the folder under apps/ and the service name (queues, database). */
export const PLATFORM_APPS = {
  sandbox: { dir: 'sandbox', service: 'sandbox' },
  order: { dir: 'order-service', service: 'orders' },
  payment: { dir: 'payment-service', service: 'payments' },
  refund: { dir: 'refund-service', service: 'refunds' },
  inventory: { dir: 'inventory-service', service: 'inventory' },
  notification: { dir: 'notification-service', service: 'notifications' },
} as const;
export type PlatformApp = keyof typeof PLATFORM_APPS;
/** One running process: an app, or a further replica of it (`refund#2`: same database, bus and Redis, ports of its own). */
export type PlatformInstance = PlatformApp | `${PlatformApp}#${number}`;

// below Linux's ephemeral range (32768+): a port picked there could be taken, before the app binds it,
// as the source port of one of the many outgoing connections tests make
const PORT_RANGE = { from: 20000, to: 32000 };

/** A port free right now, below the ephemeral range, picked at random so parallel platforms rarely meet. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from));
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.unref();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

interface Running {
  process: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: string[];
}

/**
 * The whole platform as separate processes, as `npm start` runs it, but on free ports with databases,
 * an exchange and queue names of its own, so several test files (and a developer's `npm start`) can
 * run beside it. Kill and restart one app to prove a crash loses nothing.
 */
export class TestPlatform {
  readonly suffix = uniqueSuffix();
  readonly exchange = `ebb.e2e.${this.suffix}`;
  readonly ports = {} as Record<PlatformApp | 'grpc' | 'smtp', number>;
  private readonly running = new Map<PlatformInstance, Running>();
  /** the HTTP port of each further replica */
  private readonly replicaPorts = new Map<PlatformInstance, number>();

  private constructor(private readonly extraEnv: Partial<Record<PlatformApp, Record<string, string>>>) {}

  /** Starts the given apps (default: all) and waits until each is ready. */
  static async start(
    apps: PlatformApp[] = Object.keys(PLATFORM_APPS) as PlatformApp[],
    extraEnv: Partial<Record<PlatformApp, Record<string, string>>> = {},
  ): Promise<TestPlatform> {
    const platform = new TestPlatform(extraEnv);
    for (const name of [...Object.keys(PLATFORM_APPS), 'grpc', 'smtp'] as (PlatformApp | 'grpc' | 'smtp')[]) {
      platform.ports[name] = await freePort();
    }
    try {
      // the sandbox first (payments call it), order-service before those that query it
      const order: PlatformApp[] = ['sandbox', 'order', 'inventory', 'payment', 'refund', 'notification'];
      await Promise.all(order.filter((app) => apps.includes(app)).map((app) => platform.startApp(app)));
    } catch (error) {
      await platform.stop();
      throw error;
    }
    return platform;
  }

  url(instance: PlatformInstance): string {
    return `http://127.0.0.1:${this.replicaPorts.get(instance) ?? this.ports[instance as PlatformApp]}`;
  }

  databaseUrl(app: PlatformApp): string {
    return `${TEST_PG_BASE}/ebb_e2e_${PLATFORM_APPS[app].service}_${this.suffix}`;
  }

  /** What an app gets in its environment: every address points inside this platform. */
  env(app: PlatformApp): Record<string, string> {
    return {
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? 'warn',
      HOST: '127.0.0.1',
      PORT: String(this.ports[app]),
      DATABASE_URL: this.databaseUrl(app),
      AMQP_URL: TEST_AMQP_URL,
      EBB_EXCHANGE: this.exchange,
      EBB_SERVICE_NAME: `${PLATFORM_APPS[app].service}-${this.suffix}`,
      ORDER_GRPC_PORT: String(this.ports.grpc),
      ORDER_GRPC_URL: `127.0.0.1:${this.ports.grpc}`,
      STRIPE_API_BASE: this.url('sandbox'),
      CARRIER_URL: `${this.url('sandbox')}/carrier`,
      INVENTORY_URL: this.url('inventory'),
      SANDBOX_WEBHOOK_URL: `${this.url('payment')}/v1/webhooks/stripe`,
      ALIPAY_GATEWAY: `${this.url('sandbox')}/alipay/gateway.do`,
      ALIPAY_NOTIFY_URL: `${this.url('payment')}/v1/webhooks/alipay`,
      WECHATPAY_API_BASE: this.url('sandbox'),
      WECHATPAY_NOTIFY_URL: `${this.url('payment')}/v1/webhooks/wechatpay`,
      SANDBOX_NOTIFY_RETRY_DELAYS_MS: '200,400,800',
      SMTP_PORT: String(this.ports.smtp),
      SMTP_URL: `smtp://127.0.0.1:${this.ports.smtp}`,
      MESSAGE_RETRY_DELAYS_MS: '200,400,800',
      OUTBOX_POLL_MS: '200',
      ...this.extraEnv[app],
    };
  }

  /** Starts one app and waits for its readiness (or its stdout line, for the sandbox). */
  async startApp(app: PlatformApp, env: Record<string, string> = {}): Promise<void> {
    await this.spawnInstance(app, app, env);
  }

  /**
   * Starts another process of an app beside the first (`<app>#<n>`): the same database, exchange,
   * queues and Redis, an HTTP port (and for order-service a gRPC port) of its own; other apps keep
   * talking to the first. Kill it with `kill('<app>#<n>')`, reach it at `url('<app>#<n>')`.
   */
  async startReplica(app: PlatformApp, n = 2, env: Record<string, string> = {}): Promise<PlatformInstance> {
    const instance: PlatformInstance = `${app}#${n}`;
    const port = await freePort();
    this.replicaPorts.set(instance, port);
    await this.spawnInstance(instance, app, { PORT: String(port), ...(app === 'order' ? { ORDER_GRPC_PORT: String(await freePort()) } : {}), ...env });
    return instance;
  }

  private async spawnInstance(instance: PlatformInstance, app: PlatformApp, env: Record<string, string>): Promise<void> {
    const output: string[] = [];
    const child = spawn(process.execPath, ['-r', './tools/register.js', `apps/${PLATFORM_APPS[app].dir}/src/main.ts`], {
      cwd: ROOT,
      env: { ...process.env, ...this.env(app), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.length > 200) output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    this.running.set(instance, { process: child, exited, output });
    let gone = false;
    void exited.then(() => (gone = true));
    await waitFor(
      async () => {
        if (gone) throw new Error(`${instance} exited during start:\n${output.join('')}`);
        const response = await fetch(`${this.url(instance)}/health/ready`).catch(() => undefined);
        return response?.ok;
      },
      { timeoutMs: 60000, intervalMs: 100, what: `${instance} to be ready` },
    ).catch((error) => {
      throw new Error(`${(error as Error).message}\n${output.join('')}`);
    });
  }

  /** Sends a signal (SIGKILL for a crash) and waits for the process to end. */
  async kill(instance: PlatformInstance, signal: NodeJS.Signals = 'SIGKILL') {
    const running = this.running.get(instance);
    if (!running) return undefined;
    running.process.kill(signal);
    const result = await running.exited;
    this.running.delete(instance);
    return { ...result, output: running.output.join('') };
  }

  /** The process's exit, when it ends by itself (a crash point, say). */
  exited(instance: PlatformInstance) {
    return this.running.get(instance)?.exited;
  }

  logs(instance: PlatformInstance): string {
    return this.running.get(instance)?.output.join('') ?? '';
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.keys()].map((app) => this.kill(app, 'SIGTERM')));
    const connection = await amqplib.connect(TEST_AMQP_URL).catch(() => undefined);
    if (connection) {
      const channel = await connection.createChannel();
      // the queues this platform's services declared: <service>-<suffix>.events / .retry.<ms>
      for (const { service } of Object.values(PLATFORM_APPS)) {
        const prefix = `${service}-${this.suffix}`;
        for (const queue of [`${prefix}.events`, `${prefix}.retry.200`, `${prefix}.retry.400`, `${prefix}.retry.800`]) {
          await channel.deleteQueue(queue).catch(() => undefined);
        }
      }
      await channel.deleteQueue(`${this.exchange}.unrouted`).catch(() => undefined);
      await channel.deleteExchange(this.exchange).catch(() => undefined);
      await channel.deleteExchange(`${this.exchange}.unrouted`).catch(() => undefined);
      await connection.close().catch(() => undefined);
    }
    for (const app of Object.keys(PLATFORM_APPS) as PlatformApp[]) {
      if (app !== 'sandbox') await dropDatabase(this.databaseUrl(app)).catch(() => undefined);
    }
  }
}
