// `npm run demo` (against a running `npm start`): one order paid, then partly refunded before it ships,
// told step by step through the public API (api-v1.md), as a storefront and a customer would use it.
import { randomUUID } from 'node:crypto';
import { ApiClient, SANDBOX_SECRET_KEY, apiToken, poll } from '@ebb/api-client';
import { formatMoney } from '@ebb/contracts';

const money = (amount: number, currency: string) => formatMoney({ amount, currency });

const api = new ApiClient();
const run = randomUUID().slice(0, 8);
const customerId = `cust-${run}`;
const tokens = {
  admin: apiToken('admin', 'demo-admin'),
  customer: apiToken('customer', customerId),
};
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
    await api.call('inventory', 'POST', '/v1/products', { token: tokens.admin, body: product });
    const stock = await api.call('inventory', 'PUT', `/v1/stock/${line.sku}`, { token: tokens.admin, body: { productId: line.productId, onHand: 10 } });
    show(line.sku, stock);
  }

  step('Ada places an order: 2 mugs and a tea, EUR, 4.90 shipping (order-service)');
  const order = await api.call('order', 'POST', '/v1/orders', {
    token: tokens.customer,
    body: {
      customerId,
      email: `ada-${run}@example.com`,
      currency: 'EUR',
      items: lines.map(({ productId, sku, quantity, unitAmount }) => ({ productId, sku, quantity, unitAmount })),
      shippingAmount: 490,
    },
    headers: { 'idempotency-key': `demo-order-${run}` },
  });
  show('order', `${order.id} total ${money(order.totalAmount, order.currency)} status ${order.status}`);
  await poll('the stock to be reserved', async () => {
    const stock = await api.call('inventory', 'GET', `/v1/stock/${lines[0].sku}`, { token: tokens.admin });
    return stock.reserved === 2 && stock;
  });
  show('reserved', `${lines[0].sku} reserved 2 of 10`);

  step('She pays by card: payment-service creates the PaymentIntent with the amount read from order-service');
  const payment = await api.call('payment', 'POST', '/v1/payments', {
    token: tokens.customer,
    body: { orderId: order.id },
    headers: { 'idempotency-key': `demo-pay-${run}` },
  });
  show('payment', `${payment.id} ${payment.providerPaymentId} ${money(payment.amount, payment.currency)} ${payment.status}`);

  step('The storefront confirms the card at the provider (the sandbox, Stripe-compatible)');
  const confirm = await api.request('sandbox', 'POST', `/v1/payment_intents/${payment.providerPaymentId}/confirm`, {
    token: SANDBOX_SECRET_KEY,
    form: { payment_method: 'pm_card_visa' },
  });
  show('provider', `${confirm.status} ${confirm.body.status}`);

  step('The signed payment_intent.succeeded webhook reaches payment-service; the order is captured');
  const captured = await poll('the order to be captured', async () => {
    const current = await api.call('order', 'GET', `/v1/orders/${order.id}`, { token: tokens.customer });
    return current.paymentStatus === 'captured' && current;
  });
  show('order', `${captured.status} / ${captured.paymentStatus}, captured ${money(captured.capturedAmount, captured.currency)}`);

  step('One mug arrived broken: Ada asks for a refund of that line before the rest ships (refund-service)');
  const requestedAt = Date.now();
  const refund = await api.call('refund', 'POST', '/v1/refunds', {
    token: tokens.customer,
    body: { orderId: order.id, items: [{ sku: lines[0].sku, quantity: 1 }], reason: 'damaged', note: 'the handle came off' },
    headers: { 'idempotency-key': `demo-refund-${run}` },
  });
  show('refund', `${refund.id} ${money(refund.amount, refund.currency)} ${refund.status}`);

  const done = await poll('the refund to succeed', async () => {
    const current = await api.call('refund', 'GET', `/v1/refunds/${refund.id}`, { token: tokens.customer });
    return ['succeeded', 'failed'].includes(current.status) && current;
  });
  step(`The refund ${done.status} ${Date.now() - requestedAt} ms after the request; its history:`);
  for (const entry of done.history) show(entry.status, `${entry.at} by ${entry.actor}${entry.note ? ` (${entry.note})` : ''}`);

  step('Everything that followed from it');
  const after = await poll('the order to show the refund', async () => {
    const current = await api.call('order', 'GET', `/v1/orders/${order.id}`, { token: tokens.customer });
    return current.refundedAmount > 0 && current;
  });
  show('order', `refunded ${money(after.refundedAmount, after.currency)} of ${money(after.capturedAmount, after.currency)}: ${after.paymentStatus}`);
  const stock = await poll('the mug to be back in stock', async () => {
    const current = await api.call('inventory', 'GET', `/v1/stock/${lines[0].sku}`, { token: tokens.admin });
    return current.onHand === 9 && current;
  });
  show(lines[0].sku, stock);
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
