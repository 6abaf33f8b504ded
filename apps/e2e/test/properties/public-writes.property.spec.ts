// Any body, header and token on every public write of api-v1 answers 2xx or 4xx, never 5xx, and a
// refusal changes no row of any service. `npm run fuzz -- --runs N` tries more cases.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import jwt from 'jsonwebtoken';
import Stripe from 'stripe';
import { DEV_JWT_SECRET } from '@ebb/config';
import { type Service, ok } from '@ebb/api-client';
import { tokenFor } from '@ebb/testing';
import { type PaidOrder, admin, paidOrder, platformForTests, refundReaches, support } from '../client';
import { type DocumentedOperation, type DocumentedService, operationFor, servedDocuments, undeclaredCode } from '../documented';
import { fuzzParameters, fuzzTimeout } from './fuzz-options';
import { PlatformState, changedTables } from './platform-state';

const RUNS = 120;
const WEBHOOK_SECRET = 'whsec_ebb_local';

interface Fixture {
  order: PaidOrder & { paymentId: string };
  /** a refund waiting for a person, so approve/reject/cancel have something to act on */
  refundId: string;
  otherCustomer: string;
}

interface Route {
  service: Service;
  method: 'POST' | 'PUT' | 'DELETE';
  /** the path, given the ids the case picked for its parameters */
  path: (id: string) => string;
  /** a body the route accepts, for the fixture: mutations of it reach deeper than random JSON */
  valid: (f: Fixture) => unknown;
  /** the id a path parameter takes when the case does not make one up */
  id: (f: Fixture) => string;
}

const none = () => '';
const ROUTES: Route[] = [
  { service: 'inventory', method: 'POST', path: () => '/v1/products', id: none, valid: () => ({ sellerId: 'seller-fuzz', title: 'Fuzz', description: 'made by a case' }) },
  { service: 'inventory', method: 'PUT', path: (sku) => `/v1/stock/${sku}`, id: (f) => f.order.lines[0].sku, valid: (f) => ({ productId: f.order.lines[0].productId, onHand: 100 }) },
  {
    service: 'order',
    method: 'POST',
    path: () => '/v1/orders',
    id: none,
    valid: (f) => ({ customerId: f.order.customerId, email: f.order.email, currency: 'EUR', items: [{ productId: f.order.lines[0].productId, sku: f.order.lines[0].sku, quantity: 1, unitAmount: 1500 }] }),
  },
  { service: 'order', method: 'POST', path: (id) => `/v1/orders/${id}/shipments`, id: (f) => f.order.orderId, valid: () => ({ carrier: 'dhl', trackingNumber: 'FUZZ-1' }) },
  { service: 'order', method: 'POST', path: (id) => `/v1/orders/${id}/delivery`, id: (f) => f.order.orderId, valid: () => ({}) },
  { service: 'payment', method: 'POST', path: () => '/v1/payments', id: none, valid: (f) => ({ orderId: f.order.orderId }) },
  {
    service: 'refund',
    method: 'POST',
    path: () => '/v1/refunds',
    id: none,
    valid: (f) => ({ orderId: f.order.orderId, items: [{ sku: f.order.lines[1].sku, quantity: 1 }], reason: 'damaged' }),
  },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/approve`, id: (f) => f.refundId, valid: () => ({ note: 'fine' }) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/reject`, id: (f) => f.refundId, valid: () => ({ reason: 'not eligible' }) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/cancel`, id: (f) => f.refundId, valid: () => ({}) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/return-received`, id: (f) => f.refundId, valid: () => ({}) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/inspection`, id: (f) => f.refundId, valid: () => ({ result: 'passed' }) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/refunds/${id}/retry`, id: (f) => f.refundId, valid: () => ({}) },
  { service: 'refund', method: 'PUT', path: (id) => `/v1/refund-policies/products/${id}`, id: (f) => f.order.lines[0].productId, valid: () => ({ windowDays: 30 }) },
  { service: 'refund', method: 'PUT', path: (id) => `/v1/refund-policies/sellers/${id}`, id: () => 'seller-e2e', valid: () => ({ windowDays: 30, minWindowDays: 7, maxWindowDays: 90, allowNoRefunds: true }) },
  { service: 'refund', method: 'PUT', path: () => '/v1/admin/flags/per-product-policies', id: none, valid: () => ({ mode: 'percentage', percentage: 50 }) },
  { service: 'inventory', method: 'PUT', path: (id) => `/v1/sellers/${id}`, id: () => 'seller-e2e', valid: () => ({ name: 'Fuzz Shop', email: 'fuzz@shops.example', locale: 'zh-CN' }) },
  { service: 'payment', method: 'POST', path: (id) => `/v1/admin/provider-refunds/${id}/sync`, id: (f) => f.refundId, valid: () => ({}) },
  { service: 'payment', method: 'POST', path: (id) => `/v1/admin/provider-refunds/${id}/resolve`, id: (f) => f.refundId, valid: () => ({ outcome: 'failed', note: 'seen at the provider' }) },
  { service: 'notification', method: 'POST', path: (id) => `/v1/admin/notifications/${id}/retry`, id: () => randomUUID(), valid: () => ({}) },
  { service: 'refund', method: 'POST', path: (id) => `/v1/admin/dead-letters/${id}/replay`, id: () => randomUUID(), valid: () => ({}) },
  { service: 'order', method: 'DELETE', path: (id) => `/v1/admin/dead-letters/${id}`, id: () => randomUUID(), valid: () => ({}) },
  { service: 'order', method: 'POST', path: (id) => `/v1/admin/outbound-calls/${id}/retry`, id: () => randomUUID(), valid: () => ({}) },
];

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Every kind of caller: the order's owner, another customer, staff, a service, and tokens that must not pass. */
function tokens(f: Fixture): Record<string, string | undefined> {
  return {
    owner: f.order.token,
    otherCustomer: tokenFor('customer', f.otherCustomer),
    support: support(),
    admin: admin(),
    service: tokenFor('service', 'svc-fuzz'),
    none: undefined,
    garbage: 'not-a-jwt',
    algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', role: 'admin', iat: now() })}.`,
    expired: jwt.sign({ sub: 'ops', role: 'admin', iat: now() - 7200, exp: now() - 3600 }, DEV_JWT_SECRET),
    wrongSecret: jwt.sign({ sub: 'ops', role: 'admin' }, 'not the secret'),
    unknownRole: jwt.sign({ sub: 'ops', role: 'root' }, DEV_JWT_SECRET),
    hs512: jwt.sign({ sub: 'ops', role: 'admin' }, DEV_JWT_SECRET, { algorithm: 'HS512' }),
  };
}

// numbers that have broken services before: unsafe integers, floats, negatives, huge exponents
const nastyNumber = fc.oneof(
  fc.constantFrom(0, -1, 0.5, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 2 ** 64, -(2 ** 63), 1e308, -1e-308, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const nastyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', "'; DROP TABLE refunds; --", '../../etc/passwd', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'x'.repeat(5000), '2026-13-45', 'NaN', '-0'),
);
const anyValue: fc.Arbitrary<unknown> = fc.oneof(nastyNumber, nastyString, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));

/** A valid body with some fields replaced, dropped or added: what a buggy client sends. */
function mutated(valid: unknown): fc.Arbitrary<unknown> {
  if (valid === null || typeof valid !== 'object' || Array.isArray(valid)) return anyValue;
  const entries = Object.entries(valid as Record<string, unknown>);
  const field = (value: unknown): fc.Arbitrary<unknown> =>
    Array.isArray(value)
      ? fc.oneof(fc.constant(value), fc.array(value.length > 0 ? mutated(value[0]) : anyValue, { maxLength: 3 }), anyValue)
      : value !== null && typeof value === 'object'
        ? mutated(value)
        : fc.oneof(fc.constant(value), anyValue);
  return fc
    .tuple(
      fc.tuple(...entries.map(([key, value]) => fc.option(field(value), { nil: undefined, freq: 6 }).map((v) => [key, v] as const))),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), anyValue, { maxKeys: 2 }),
    )
    .map(([kept, extra]) => ({ ...extra, ...Object.fromEntries(kept.filter(([, v]) => v !== undefined)) }));
}

/** A header value fetch can send: printable ASCII. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });

/** `usual` most of the time (`weight` to 1), else one of `rare`. */
function often<T, U>(usual: T, rare: fc.Arbitrary<U>, weight = 3): fc.Arbitrary<T | U> {
  return fc.oneof({ weight, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: rare });
}

interface Case {
  route: number;
  pathId: string | undefined;
  body: { kind: 'json'; value: unknown } | { kind: 'raw'; text: string } | { kind: 'none' };
  token: string;
  idempotencyKey: string | undefined;
  contentType: string | undefined;
  contentEncoding: string | undefined;
}

function cases(f: Fixture): fc.Arbitrary<Case> {
  return fc
    .integer({ min: 0, max: ROUTES.length - 1 })
    .chain((route) =>
      fc.record({
        route: fc.constant(route),
        pathId: often(undefined, fc.oneof(nastyString.filter((s) => s.length > 0), fc.uuid())),
        body: fc.oneof(
          { weight: 4, arbitrary: mutated(ROUTES[route].valid(f)).map((value) => ({ kind: 'json' as const, value })) },
          { weight: 3, arbitrary: fc.constant({ kind: 'json' as const, value: ROUTES[route].valid(f) }) },
          { weight: 1, arbitrary: anyValue.map((value) => ({ kind: 'json' as const, value })) },
          { weight: 1, arbitrary: fc.string({ maxLength: 60 }).map((text) => ({ kind: 'raw' as const, text })) },
          { weight: 1, arbitrary: fc.constant({ kind: 'none' as const }) },
        ),
        // staff more often than not, so valid bodies get past the roles and reach the services' own rules
        token: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('admin', 'support', 'owner') }, { weight: 3, arbitrary: fc.constantFrom(...Object.keys(tokens(f))) }),
        idempotencyKey: fc.option(fc.oneof(fc.uuid(), headerValue), { nil: undefined }),
        contentType: often(
          undefined,
          fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/merge-patch+json'),
        ),
        contentEncoding: often(undefined, fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'), 8),
      }),
    );
}

describe('every public write answers 2xx or 4xx, and a refusal changes nothing (fast-check)', () => {
  // a limit of 10 EUR: the fixture's refund of 15 EUR waits for a person
  const world = platformForTests({ refund: { REFUND_MAX_AUTO_AMOUNT: '10' } });
  let state: PlatformState;
  let fixture: Fixture;
  let documents: Map<DocumentedService, DocumentedOperation[]>;

  beforeAll(async () => {
    state = new PlatformState(world.platform);
    await state.open();
    const order = await paidOrder(world.client, [
      { quantity: 2, unitAmount: 1500 },
      { quantity: 3, unitAmount: 700 },
    ]);
    const refund = await ok(
      world.client.typed('refund', support()).POST('/v1/refunds', {
        body: { orderId: order.orderId, items: [{ sku: order.lines[0].sku, quantity: 1 }], reason: 'damaged', initiator: 'support' },
      }),
    );
    await refundReaches(world.client, refund.id, ['pending_review']);
    fixture = { order, refundId: refund.id, otherCustomer: `cust-other-${randomUUID().slice(0, 8)}` };
    documents = await servedDocuments(world.platform);
  }, 120_000);

  afterAll(async () => {
    await state?.close();
  });

  // raw fetch on purpose: the cases are bodies, headers and encodings off the contract, which the typed client would not send
  async function send(c: Case) {
    const route = ROUTES[c.route];
    const id = c.pathId === undefined ? route.id(fixture) : encodeURIComponent(c.pathId);
    const token = tokens(fixture)[c.token];
    const headers: Record<string, string> = {};
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (c.idempotencyKey !== undefined) headers['idempotency-key'] = c.idempotencyKey;
    if (c.contentEncoding !== undefined) headers['content-encoding'] = c.contentEncoding;
    const body = c.body.kind === 'json' ? JSON.stringify(c.body.value) : c.body.kind === 'raw' ? c.body.text : undefined;
    if (body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
    const path = route.path(id);
    const response = await fetch(`${world.platform.url(route.service)}${path}`, { method: route.method, headers, body });
    return { status: response.status, text: await response.text(), operation: operationFor(documents.get(route.service as DocumentedService)!, route.method, path) };
  }

  it(
    'holds for any body, header and token on every route',
    async () => {
      let before = await state.settled();
      const seen = { accepted: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(cases(fixture), async (c) => {
          const answer = await send(c);
          const what = `${ROUTES[c.route].method} ${ROUTES[c.route].path(c.pathId ?? ':id')} → ${answer.status} ${answer.text.slice(0, 300)}`;
          expect({ what, serverError: answer.status >= 500 }).toEqual({ what, serverError: false });
          if (answer.status >= 400) {
            seen.refused++;
            // the error shape of api-v1, whatever went wrong, with a code its route declares (a path made up by the case may be no route)
            const refusal = JSON.parse(answer.text);
            expect(refusal).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
            if (answer.operation) expect({ what, undeclared: undeclaredCode(answer.operation, answer.status, refusal) }).toEqual({ what, undeclared: undefined });
            const after = await state.fingerprint();
            expect({ what, changed: changedTables(before, after) }).toEqual({ what, changed: [] });
          } else {
            seen.accepted++;
            // an accepted write changes things, some of them later (events): wait for them to end
            before = await state.settled();
          }
        }),
        fuzzParameters(RUNS),
      );
      // the cases reached both sides: a property only ever refused proves little
      expect(seen.accepted).toBeGreaterThan(0);
      expect(seen.refused).toBeGreaterThan(seen.accepted);
    },
    fuzzTimeout(RUNS),
  );

  it(
    'holds for any correctly signed Stripe webhook body',
    async () => {
      const signer = new Stripe('sk_test_unused');
      const event = fc.record({
        id: fc.oneof(fc.string({ maxLength: 40 }), nastyNumber),
        type: fc.constantFrom('payment_intent.succeeded', 'payment_intent.payment_failed', 'refund.updated', 'refund.failed', 'charge.refund.updated', 'customer.created'),
        data: fc.oneof(fc.record({ object: fc.dictionary(fc.constantFrom('id', 'amount', 'amount_received', 'currency', 'status', 'metadata'), anyValue) }), anyValue),
      });
      const before = await state.settled();
      await fc.assert(
        fc.asyncProperty(fc.oneof(event.map((e) => JSON.stringify(e)), fc.jsonValue().map((v) => JSON.stringify(v))), async (payload) => {
          const signature = signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
          const response = await fetch(`${world.platform.url('payment')}/v1/webhooks/stripe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'stripe-signature': signature },
            body: payload,
          });
          const what = `${payload.slice(0, 200)} → ${response.status} ${(await response.text()).slice(0, 200)}`;
          expect({ what, serverError: response.status >= 500 }).toEqual({ what, serverError: false });
        }),
        fuzzParameters(Math.round(RUNS / 2)),
      );
      // made-up events name no payment of Ebb's: whatever was recorded of them, no money moved
      const after = await state.settled();
      const moved = changedTables(before, after).filter((table) => !['payment.webhook_events'].includes(table));
      expect(moved).toEqual([]);
    },
    fuzzTimeout(RUNS),
  );
});
