import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@ebb/config';
import Stripe from 'stripe';
import { sandboxEnvSchema } from '../src/config';
import { type RunningSandbox, startSandbox } from '../src/sandbox';

export const WEBHOOK_SECRET = 'whsec_sandbox_test';

/** A payment-service stand-in: verifies each webhook as payment-service does and keeps the events. */
export interface WebhookReceiver {
  url: string;
  events: Stripe.Event[];
  /** signatures that did not verify */
  rejected: number;
  /** the status it answers with, per delivery (e.g. 500 a few times, to prove retries) */
  answer: () => number;
  close(): Promise<void>;
}

export async function startReceiver(secret = WEBHOOK_SECRET): Promise<WebhookReceiver> {
  const verifier = new Stripe('sk_test_receiver');
  const receiver: WebhookReceiver = { url: '', events: [], rejected: 0, answer: () => 200, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = receiver.answer();
      if (status >= 300) {
        res.writeHead(status).end();
        return;
      }
      try {
        receiver.events.push(verifier.webhooks.constructEvent(Buffer.concat(chunks), req.headers['stripe-signature'] ?? '', secret));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"received":true}');
      } catch {
        receiver.rejected += 1;
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/webhooks/stripe`;
  receiver.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return receiver;
}

export interface TestSandbox extends RunningSandbox {
  receiver: WebhookReceiver;
  /** the official SDK pointed at this sandbox; no retries, so each call is one request */
  stripe: Stripe;
  /** a JSON call to the sandbox's own endpoints */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** A sandbox on free ports, sending its webhooks to a receiver of the test's own. */
export async function startTestSandbox(env: Record<string, string> = {}): Promise<TestSandbox> {
  const receiver = await startReceiver();
  const sandbox = await startSandbox(
    loadConfig(sandboxEnvSchema, {
      NODE_ENV: 'test',
      PORT: '0',
      SMTP_PORT: '0',
      LOG_LEVEL: 'silent',
      SANDBOX_WEBHOOK_URL: receiver.url,
      STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      SANDBOX_REFUND_SETTLE_MS: '100',
      SANDBOX_WEBHOOK_RETRY_DELAYS_MS: '50,100,200',
      SANDBOX_REORDER_WINDOW_MS: '500',
      ...env,
    }),
  ).catch(async (error: unknown) => {
    await receiver.close();
    throw error;
  });
  const stripe = new Stripe('sk_test_ebb_local', { host: '127.0.0.1', port: sandbox.port, protocol: 'http', maxNetworkRetries: 0 });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    ...sandbox,
    receiver,
    stripe,
    call,
    close: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}

/** A paid PaymentIntent, made the way a storefront and payment-service make it. */
export async function paidIntent(stripe: Stripe, paymentMethod = 'pm_card_visa', amount = 5000) {
  const intent = await stripe.paymentIntents.create({ amount, currency: 'usd', metadata: { orderId: 'ord_1', paymentId: 'pay_1' } });
  return stripe.paymentIntents.confirm(intent.id, { payment_method: paymentMethod });
}
