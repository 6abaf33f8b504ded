// `npm run demo` (against a running `npm start`): one order paid, then partly refunded before it ships,
// told step by step through the public API (api-v1.md), as a storefront and a customer would use it: every
// call of the API through the typed client, so the demo stops compiling when the contract changes.
import { randomUUID } from 'node:crypto';
import { ApiClient, SANDBOX_SECRET_KEY, apiToken, ok, poll } from '@ebb/api-client';
import { formatMoney } from '@ebb/contracts';

const money = (amount: number, currency: string) => formatMoney({ amount, currency });

const api = new ApiClient();
const run = randomUUID().slice(0, 8);
const customerId = `cust-${run}`;
const tokens = {
  admin: apiToken('admin', 'demo-admin'),
  customer: apiToken('customer', customerId),
};
const inventory = api.typed('inventory', tokens.admin);
const orders = api.typed('order', tokens.customer);
const payments = api.typed('payment', tokens.customer);
const refunds = api.typed('refund', tokens.customer);
const idempotencyKey = (key: string) => ({ header: { 'Idempotency-Key': key } });
const started = Date.now();

function step(text: string) {
  console.log(`\n[${((Date.now() - started) / 1000).toFixed(2)} s] ${text}`);
}
function show(label: string, value: unknown) {
  console.log(`    ${label}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

async function main() {
  step('The shop lists two products and puts them in stock (inventory-service)');
  const lines = [
    { productId: `prod-mug-${run}`, sku: `MUG-${run}`, title: 'Blue mug', unitAmount: 1250, quantity: 2 },
    { productId: `prod-tea-${run}`, sku: `TEA-${run}`, title: 'Green tea, 100 g', unitAmount: 890, quantity: 1 },
  ];
  for (const line of lines) {
    const product = { id: line.productId, sellerId: 'seller-demo', title: line.title, description: line.title };
    await ok(inventory.POST('/v1/products', { body: product }));
    const stock = await ok(inventory.PUT('/v1/stock/{sku}', { params: { path: { sku: line.sku } }, body: { productId: line.productId, onHand: 10 } }));
    show(line.sku, stock);
  }

  step('Ada places an order: 2 mugs and a tea, EUR, 4.90 shipping (order-service)');
  const order = await ok(
    orders.POST('/v1/orders', {
      params: idempotencyKey(`demo-order-${run}`),
      body: {
      customerId,
      email: `ada-${run}@example.com`,
      currency: 'EUR',
      items: lines.map(({ productId, sku, quantity, unitAmount }) => ({ productId, sku, quantity, unitAmount })),
      shippingAmount: 490,
      },
    }),
  );
  show('order', `${order.id} total ${money(order.totalAmount, order.currency)} status ${order.status}`);
  await poll('the stock to be reserved', async () => {
    const stock = await ok(inventory.GET('/v1/stock/{sku}', { params: { path: { sku: lines[0].sku } } }));
    return stock.reserved === 2 && stock;
  });
  show('reserved', `${lines[0].sku} reserved 2 of 10`);

  step('She pays by card: payment-service creates the PaymentIntent with the amount read from order-service');
  const payment = await ok(payments.POST('/v1/payments', { params: idempotencyKey(`demo-pay-${run}`), body: { orderId: order.id } }));
  show('payment', `${payment.id} ${payment.providerPaymentId} ${money(payment.amount, payment.currency)} ${payment.status}`);

  step('The storefront confirms the card at the provider (the sandbox, Stripe-compatible)');
  // the provider's own form-encoded endpoint, not Ebb's API: sent raw
  const confirm = await api.request('sandbox', 'POST', `/v1/payment_intents/${payment.providerPaymentId}/confirm`, {
    token: SANDBOX_SECRET_KEY,
    form: { payment_method: 'pm_card_visa' },
  });
  show('provider', `${confirm.status} ${confirm.body.status}`);

  step('The signed payment_intent.succeeded webhook reaches payment-service; the order is captured');
  const captured = await poll('the order to be captured', async () => {
    const current = await ok(orders.GET('/v1/orders/{id}', { params: { path: { id: order.id } } }));
    return current.paymentStatus === 'captured' && current;
  });
  show('order', `${captured.status} / ${captured.paymentStatus}, captured ${money(captured.capturedAmount, captured.currency)}`);

  step('One mug arrived broken: Ada asks for a refund of that line before the rest ships (refund-service)');
  const requestedAt = Date.now();
  const refund = await ok(
    refunds.POST('/v1/refunds', {
      params: idempotencyKey(`demo-refund-${run}`),
      body: { orderId: order.id, items: [{ sku: lines[0].sku, quantity: 1 }], reason: 'damaged', note: 'the handle came off' },
    }),
  );
  show('refund', `${refund.id} ${money(refund.amount, refund.currency)} ${refund.status}`);

  const done = await poll('the refund to succeed', async () => {
    const current = await ok(refunds.GET('/v1/refunds/{id}', { params: { path: { id: refund.id } } }));
    return ['succeeded', 'failed'].includes(current.status) && current;
  });
  step(`The refund ${done.status} ${Date.now() - requestedAt} ms after the request; its history:`);
  for (const entry of done.history) show(entry.status, `${entry.at} by ${entry.actor}${entry.note ? ` (${entry.note})` : ''}`);

  step('Everything that followed from it');
  const after = await poll('the order to show the refund', async () => {
    const current = await ok(orders.GET('/v1/orders/{id}', { params: { path: { id: order.id } } }));
    return current.refundedAmount > 0 && current;
  });
  show('order', `refunded ${money(after.refundedAmount, after.currency)} of ${money(after.capturedAmount, after.currency)}: ${after.paymentStatus}`);
  const stock = await poll('the mug to be back in stock', async () => {
    const current = await ok(inventory.GET('/v1/stock/{sku}', { params: { path: { sku: lines[0].sku } } }));
    return current.onHand === 9 && current;
  });
  show(lines[0].sku, stock);
  // the sandbox's SMTP sink, a test fixture outside the public API: read raw
  const mail = await poll('the refund e-mail', async () => {
    const inbox = await api.call('sandbox', 'GET', `/__sandbox/mail?to=${encodeURIComponent(order.email)}`);
    return inbox.items.some((item: { subject: string }) => item.subject.startsWith('Refunded')) && inbox.items;
  });
  for (const message of mail) show('mail', `to ${message.to.join(', ')}: ${message.subject}`);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  console.error(`\ndemo failed: ${error.message}`);
  process.exit(1);
});
