import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { loadConfig } from '@ebb/config';
import type { OrderMessage } from '@ebb/contracts';
import { AmqpBroker } from '@ebb/messaging';
import {
  type PublishAs,
  type SeenEvent,
  TEST_AMQP_URL,
  deleteBusTopology,
  type TestApp,
  type TestDatabase,
  bootTestApp,
  freePort,
  freshDatabase,
  orderMessage,
  publisherOn,
  startOrderQueryServer,
  startSandbox as startTestSandbox,
  uniqueSuffix,
  waitFor,
  watchBus,
} from '@ebb/testing';
import { AlipaySdk } from 'alipay-sdk';
import { sandboxKeys } from '@ebb/config';
import { AppModule } from '../src/app.module';
import { WechatPayProvider } from '../src/providers/wechatpay/wechatpay.provider';
import { type PaymentEnv, paymentEnvSchema } from '../src/config';

// the services' info logs would bury the test report
process.env.LOG_LEVEL ??= 'warn';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const WEBHOOK_SECRET = 'whsec_payment_tests';
export const RETRY_DELAYS_MS = [100, 200, 400];

export { type SeenEvent, freePort, orderMessage };

/** order-service's OrderQuery as this test defines it: the orders in `orders`, NOT_FOUND for any other. */
export async function startOrderQuery(orders: Map<string, OrderMessage>): Promise<{ url: string; stop(): Promise<void> }> {
  const server = await startOrderQueryServer(orders);
  return { url: server.url, stop: server.close };
}

/** The sandbox with this test's webhook target and secret; resolves once it listens. */
export function startSandbox(port: number, webhookUrl: string, env: Record<string, string> = {}): Promise<ChildProcess> {
  return startTestSandbox(port, { SANDBOX_WEBHOOK_URL: webhookUrl, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, SANDBOX_REFUND_SETTLE_MS: '100', SANDBOX_NOTIFY_RETRY_DELAYS_MS: '100,200,400', ...env });
}

/** Deletes the queues and exchanges a test service declared. */
export const deleteTopology = (service: string, exchange: string) =>
  deleteBusTopology({ service, exchange, retryDelaysMs: RETRY_DELAYS_MS });

/**
 * payment-service on a fresh database and an exchange of its own, with the real sandbox (Stripe API
 * and signed webhooks) as a child process, a gRPC OrderQuery of the test's own, and a queue that sees
 * every `payment.*` event it publishes.
 */
export class PaymentWorld {
  readonly orders = new Map<string, OrderMessage>();
  events: SeenEvent[] = [];
  /** Publishes an event on the test's exchange, as another service would. */
  publish!: PublishAs;
  readonly webhookSecret = WEBHOOK_SECRET;
  app!: TestApp;
  config!: PaymentEnv;
  stripe!: Stripe;
  sandboxUrl!: string;
  private database!: TestDatabase;
  private sandbox?: ChildProcess;
  private orderQuery?: { stop(): Promise<void> };
  private watch?: Awaited<ReturnType<typeof watchBus>>;
  private publisher?: AmqpBroker;
  private readonly suffix = uniqueSuffix();
  readonly service = `payments-test-${this.suffix}`;
  readonly exchange = `ebb.test.payments.${this.suffix}`;

  async start(env: Record<string, string> = {}, sandboxEnv: Record<string, string> = {}): Promise<this> {
    this.database = await freshDatabase('payments');
    const orderQuery = await startOrderQuery(this.orders);
    this.orderQuery = orderQuery;
    const sandboxPort = await freePort();
    this.sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    // Alipay and WeChat Pay are told where to notify with each payment: the app's address is chosen first
    const appPort = await freePort();
    const appUrl = `http://127.0.0.1:${appPort}`;
    const config = {
      ...loadConfig(paymentEnvSchema, {
        DATABASE_URL: this.database.url,
        EBB_EXCHANGE: this.exchange,
        NODE_ENV: 'test',
        ORDER_GRPC_URL: orderQuery.url,
        STRIPE_API_BASE: this.sandboxUrl,
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        ALIPAY_GATEWAY: `${this.sandboxUrl}/alipay/gateway.do`,
        ALIPAY_NOTIFY_URL: `${appUrl}/v1/webhooks/alipay`,
        WECHATPAY_API_BASE: this.sandboxUrl,
        WECHATPAY_NOTIFY_URL: `${appUrl}/v1/webhooks/wechatpay`,
        MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(','),
        OUTBOX_POLL_MS: '200',
        REFUND_DISPATCH_POLL_MS: '200',
        // the daily reconciliation's timer only where a test starts it
        RECONCILE_DAILY: 'false',
        ...env,
      }),
      SERVICE_NAME: this.service,
    };
    this.config = config;
    this.app = await bootTestApp({ module: AppModule.forRoot(config), port: appPort });
    this.sandbox = await startSandbox(sandboxPort, `${this.app.url}/v1/webhooks/stripe`, sandboxEnv);
    this.stripe = new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: sandboxPort, protocol: 'http', maxNetworkRetries: 0 });

    this.watch = await watchBus(this.exchange, 'payment.#');
    this.events = this.watch.events;
    this.publisher = new AmqpBroker({ url: TEST_AMQP_URL, exchange: this.exchange, connectionName: `ebb-${this.service}-publisher` });
    await this.publisher.waitForConnect();
    this.publish = publisherOn(this.publisher);
    return this;
  }

  async stop(): Promise<void> {
    await this.app?.close();
    this.sandbox?.kill('SIGTERM');
    await this.orderQuery?.stop();
    await this.publisher?.close();
    await this.watch?.close();
    await deleteTopology(this.service, this.exchange);
    await this.database?.drop();
  }

  get dataSource(): DataSource {
    return this.app.app.get(DataSource);
  }

  addOrder(overrides: Partial<OrderMessage> = {}): OrderMessage {
    const order = orderMessage(overrides);
    this.orders.set(order.id, order);
    return order;
  }

  api(pathName: string, init: RequestInit & { token?: string } = {}) {
    const headers = new Headers(init.headers);
    if (init.token) headers.set('authorization', `Bearer ${init.token}`);
    if (init.body) headers.set('content-type', 'application/json');
    return fetch(`${this.app.url}${pathName}`, { ...init, headers });
  }

  /** What refund-service would publish: the refund as it stands, moving to `refunding`. */
  async publishRefunding(refund: { refundId: string; orderId: string; amount: number; currency?: string; paymentId?: string }, messageId = randomUUID()) {
    const payload = {
      customerId: 'cus-1',
      email: 'ada@example.com',
      status: 'refunding',
      currency: 'USD',
      reason: 'requested_by_customer',
      initiator: 'customer',
      shipped: false,
      ...refund,
    };
    await this.publish('refund.refunding', payload, messageId);
  }

  eventsOf(type: string, match: (payload: any) => boolean = () => true): SeenEvent[] {
    return this.events.filter((event) => event.type === type && match(event.payload));
  }

  waitForEvent(type: string, match: (payload: any) => boolean, what = type): Promise<SeenEvent> {
    return waitFor(() => this.eventsOf(type, match)[0], { what });
  }

  async faults(faults: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.sandboxUrl}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (!response.ok) throw new Error(`sandbox faults answered ${response.status}`);
  }

  /** The merchant's own tool at Alipay (its dashboard), signing with the merchant's key: what it does, Ebb did not. */
  alipayDashboard(): AlipaySdk {
    return new AlipaySdk({
      appId: this.config.ALIPAY_APP_ID!,
      privateKey: sandboxKeys().alipay.appPrivateKey,
      alipayPublicKey: sandboxKeys().alipay.platformPublicKey,
      gateway: `${this.sandboxUrl}/alipay/gateway.do`,
      keyType: 'PKCS8',
      camelcase: false,
    });
  }

  /** The merchant's own tool at WeChat Pay, with the merchant's key (and Ebb's notify_url, as a dashboard set up for it would). */
  wechatpayDashboard(): WechatPayProvider {
    return new WechatPayProvider({
      apiBase: this.sandboxUrl,
      mchid: this.config.WECHATPAY_MCHID!,
      appid: this.config.WECHATPAY_APPID!,
      merchantSerial: this.config.WECHATPAY_MERCHANT_SERIAL!,
      merchantPrivateKey: this.config.WECHATPAY_MERCHANT_PRIVATE_KEY!,
      platformPublicKey: this.config.WECHATPAY_PLATFORM_PUBLIC_KEY!,
      platformPublicKeyId: this.config.WECHATPAY_PLATFORM_PUBLIC_KEY_ID!,
      apiV3Key: this.config.WECHATPAY_API_V3_KEY!,
      notifyUrl: this.config.WECHATPAY_NOTIFY_URL,
    });
  }

  /** A JSON call to the sandbox's own endpoints (`/__sandbox/…`). */
  async sandboxCall(method: string, pathName: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.sandboxUrl}${pathName}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  }

  /** Alipay's and WeChat Pay's notifications the sandbox sent about `objectId` (a trade or refund number). */
  async notifications(objectId: string): Promise<{ notifyId: string; type: string; status: string; attempts: number; responseStatus: number | null }[]> {
    return (await this.sandboxCall('GET', `/__sandbox/notifications?objectId=${encodeURIComponent(objectId)}`)).body.items;
  }

  async sandboxWebhooks(objectId: string): Promise<{ eventId: string; type: string; status: string; responseStatus: number | null }[]> {
    const response = await fetch(`${this.sandboxUrl}/__sandbox/webhooks?objectId=${encodeURIComponent(objectId)}`);
    return ((await response.json()) as { items: any[] }).items;
  }
}
