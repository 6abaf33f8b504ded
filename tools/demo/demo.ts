// `npm run demo` (against a running `npm start`): one order paid, then partly refunded before it ships,
// told step by step through the public API (api-v1.md), as a storefront and a customer would use it.
import { randomUUID } from 'node:crypto';
import { DEV_JWT_SECRET } from '@ebb/config';
import { signToken } from '@ebb/http';
import { formatMoney } from '@ebb/contracts';

const money = (amount: number, currency: string) => formatMoney({ amount, currency });

const base = (port: number, variable: string) => process.env[variable] ?? `http://127.0.0.1:${port}`;
const urls = {
  order: base(3001, 'ORDER_URL'),
  payment: base(3002, 'PAYMENT_URL'),
  refund: base(3003, 'REFUND_URL'),
  inventory: base(3004, 'INVENTORY_URL'),
  notification: base(3005, 'NOTIFICATION_URL'),
  sandbox: base(4010, 'SANDBOX_URL'),
};
const secret = process.env.EBB_JWT_SECRET ?? DEV_JWT_SECRET;
const run = randomUUID().slice(0, 8);
const customerId = `cust-${run}`;
const tokens = {
  admin: signToken({ sub: 'demo-admin', role: 'admin' }, secret),
  customer: signToken({ sub: customerId, role: 'customer' }, secret),
};
const started = Date.now();

function step(text: string) {
  console.log(`\n[${((Date.now() - started) / 1000).toFixed(2)} s] ${text}`);
}
function show(label: string, value: unknown) {
  console.log(`    ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

async function call<T = any>(method: string, url: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok && response.status !== 409) throw new Error(`${method} ${url} → ${response.status} ${text}`);
  return parsed as T;
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main() {
  step('The shop lists two products and puts them in stock (inventory-service)');
  const lines = [
    { productId: `prod-mug-${run}`, sku: `MUG-${run}`, title: 'Blue mug', unitAmount: 1250, quantity: 2 },
    { productId: `prod-tea-${run}`, sku: `TEA-${run}`, title: 'Green tea, 100 g', unitAmount: 890, quantity: 1 },
  ];
  for (const line of lines) {
    await call('POST', `${urls.inventory}/v1/products`, tokens.admin, { id: line.productId, sellerId: 'seller-demo', title: line.title, description: line.title });
    const stock = await call('PUT', `${urls.inventory}/v1/stock/${line.sku}`, tokens.admin, { productId: line.productId, onHand: 10 });
    show(line.sku, stock);
  }

  step('Ada places an order: 2 mugs and a tea, EUR, 4.90 shipping (order-service)');
  const order = await call('POST', `${urls.order}/v1/orders`, tokens.customer, {
    customerId,
    email: `ada-${run}@example.com`,
    currency: 'EUR',
    items: lines.map(({ productId, sku, quantity, unitAmount }) => ({ productId, sku, quantity, unitAmount })),
    shippingAmount: 490,
  }, { 'idempotency-key': `demo-order-${run}` });
  show('order', `${order.id} total ${money(order.totalAmount, order.currency)} status ${order.status}`);
  await until('the stock to be reserved', async () => {
    const stock = await call('GET', `${urls.inventory}/v1/stock/${lines[0].sku}`, tokens.admin);
    return stock.reserved === 2 && stock;
  });
  show('reserved', `${lines[0].sku} reserved 2 of 10`);

  step('She pays by card: payment-service creates the PaymentIntent with the amount read from order-service');
  const payment = await call('POST', `${urls.payment}/v1/payments`, tokens.customer, { orderId: order.id }, { 'idempotency-key': `demo-pay-${run}` });
  show('payment', `${payment.id} ${payment.providerPaymentId} ${money(payment.amount, payment.currency)} ${payment.status}`);

  step('The storefront confirms the card at the provider (the sandbox, Stripe-compatible)');
  const confirm = await fetch(`${urls.sandbox}/v1/payment_intents/${payment.providerPaymentId}/confirm`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk_test_ebb_local', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'payment_method=pm_card_visa',
  });
  show('provider', `${confirm.status} ${((await confirm.json()) as { status: string }).status}`);

  step('The signed payment_intent.succeeded webhook reaches payment-service; the order is captured');
  const captured = await until('the order to be captured', async () => {
    const current = await call('GET', `${urls.order}/v1/orders/${order.id}`, tokens.customer);
    return current.paymentStatus === 'captured' && current;
  });
  show('order', `${captured.status} / ${captured.paymentStatus}, captured ${money(captured.capturedAmount, captured.currency)}`);

  step('One mug arrived broken: Ada asks for a refund of that line before the rest ships (refund-service)');
  const requestedAt = Date.now();
  const refund = await call('POST', `${urls.refund}/v1/refunds`, tokens.customer, {
    orderId: order.id,
    items: [{ sku: lines[0].sku, quantity: 1 }],
    reason: 'damaged',
    note: 'the handle came off',
  }, { 'idempotency-key': `demo-refund-${run}` });
  show('refund', `${refund.id} ${money(refund.amount, refund.currency)} ${refund.status}`);

  const done = await until('the refund to succeed', async () => {
    const current = await call('GET', `${urls.refund}/v1/refunds/${refund.id}`, tokens.customer);
    return ['succeeded', 'failed'].includes(current.status) && current;
  });
  step(`The refund ${done.status} ${Date.now() - requestedAt} ms after the request; its history:`);
  for (const entry of done.history) show(entry.status, `${entry.at} by ${entry.actor}${entry.note ? ` (${entry.note})` : ''}`);

  step('Everything that followed from it');
  const after = await until('the order to show the refund', async () => {
    const current = await call('GET', `${urls.order}/v1/orders/${order.id}`, tokens.customer);
    return current.refundedAmount > 0 && current;
  });
  show('order', `refunded ${money(after.refundedAmount, after.currency)} of ${money(after.capturedAmount, after.currency)}: ${after.paymentStatus}`);
  const stock = await until('the mug to be back in stock', async () => {
    const current = await call('GET', `${urls.inventory}/v1/stock/${lines[0].sku}`, tokens.admin);
    return current.onHand === 9 && current;
  });
  show(lines[0].sku, stock);
  const mail = await until('the refund e-mail', async () => {
    const inbox = await call('GET', `${urls.sandbox}/__sandbox/mail?to=${encodeURIComponent(order.email)}`, undefined);
    return inbox.items.some((item: { subject: string }) => item.subject.startsWith('Refunded')) && inbox.items;
  });
  for (const message of mail) show('mail', `to ${message.to.join(', ')}: ${message.subject}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error.message}`);
  process.exit(1);
});
