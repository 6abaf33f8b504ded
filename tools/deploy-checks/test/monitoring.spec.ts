import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { PLATFORM_APPS, type PlatformApp, TestPlatform, tokenFor } from '@ebb/testing';

const ROOT = path.resolve(__dirname, '../../..');
const MONITORING = path.join(ROOT, 'deploy/monitoring');
const RULES = path.join(MONITORING, 'alerts.rules.yml');
const DASHBOARD = path.join(MONITORING, 'grafana/dashboards/ebb.json');

/** Runs promtool from the repository root; throws (with its output) on a non-zero exit. */
function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} exited ${failed.status}:\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}

/** The `expr` of every rule: inline (`expr: ...`) or a block scalar (`expr: |` and the lines indented under it). */
function ruleExpressions(text: string): string[] {
  const lines = text.split('\n');
  const exprs: string[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)-?\s*expr:\s*(.*)$/.exec(line);
    if (!match) return;
    const [, indent, rest] = match;
    if (!/^[|>][-+]?\s*$/.test(rest)) {
      exprs.push(rest.replace(/^(['"])(.*)\1$/, '$2'));
      return;
    }
    const block: string[] = [];
    for (const next of lines.slice(index + 1)) {
      if (next.trim() !== '' && next.search(/\S/) <= indent.length) break;
      block.push(next.trim());
    }
    exprs.push(block.join(' '));
  });
  return exprs;
}

/** The `expr` of every target of every panel (rows included) of a Grafana dashboard. */
function dashboardExpressions(dashboard: unknown): string[] {
  const exprs: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') exprs.push(value);
        else visit(value);
      }
    }
  };
  visit(dashboard);
  return exprs;
}

const PROMQL_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan',
]);

/** Metric names in a PromQL expression, with the histogram suffixes stripped; `up` (Prometheus' own) left out. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\[[^\]]*\]/g, ''); // ranges
  const names = new Set<string>();
  for (const match of bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const token = match[0];
    const end = (match.index ?? 0) + token.length;
    if (/^\s*\(/.test(bare.slice(end))) continue; // a function call
    if (/[0-9.]$/.test(bare.slice(0, match.index)) || PROMQL_KEYWORDS.has(token.toLowerCase()) || token === 'up') continue;
    names.add(token.replace(/_(bucket|sum|count)$/, ''));
  }
  return [...names];
}

describe('the Prometheus configuration', () => {
  it('has valid alert rules (promtool check rules)', () => {
    const output = promtool('check', 'rules', 'deploy/monitoring/alerts.rules.yml');
    expect(output).toMatch(/SUCCESS: 11 rules found/);
  });

  it('fires every alert on a series that should trip it and stays silent on one that should not (promtool test rules)', () => {
    const output = promtool('test', 'rules', 'deploy/monitoring/alerts.test.yml');
    expect(output).toMatch(/SUCCESS/);
    expect(output).not.toMatch(/FAILED/);
  });

  it('is a valid scrape configuration for the six apps that loads the alert rules (promtool check config)', () => {
    const output = promtool('check', 'config', 'deploy/monitoring/prometheus.yml');
    expect(output).toMatch(/SUCCESS: 1 rule files found/);
    expect(output).toMatch(/valid prometheus config file syntax/);
    const config = readFileSync(path.join(MONITORING, 'prometheus.yml'), 'utf8');
    for (const target of [
      'order-service:3001',
      'payment-service:3002',
      'refund-service:3003',
      'inventory-service:3004',
      'notification-service:3005',
      'sandbox:4010',
    ]) {
      expect(config).toContain(`'${target}'`);
    }
  });

  it('gives every alert a severity, a summary, a description and a runbook that exists in docs/operations.md', () => {
    const rules = readFileSync(RULES, 'utf8');
    const alerts = [...rules.matchAll(/-\s*alert:\s*(\S+)/g)].map((match) => match[1]);
    expect(alerts).toEqual([
      'RefundFailureRateHigh',
      'RefundProcessingSlow',
      'RefundDecisionDeadlineNear',
      'ProviderRefundOutcomeUnknown',
      'NotificationsFailed',
      'OutboundCallsParked',
      'ReconciliationDifferencesOpen',
      'ReconciliationFailed',
      'DeadLettersWaiting',
      'OutboxLagHigh',
      'ServiceDown',
    ]);
    expect(rules.match(/severity: (critical|warning)/g)).toHaveLength(alerts.length);
    expect(rules.match(/summary:/g)).toHaveLength(alerts.length);
    expect(rules.match(/description:/g)).toHaveLength(alerts.length);
    const anchors = [...rules.matchAll(/runbook_url: \S+\/docs\/operations\.md#(\S+)/g)].map((match) => match[1]);
    expect(anchors).toHaveLength(alerts.length);
    const headings = [...readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8').matchAll(/^#+\s+(.+)$/gm)].map((match) =>
      match[1].trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-'),
    );
    for (const anchor of anchors) expect(headings).toContain(anchor);
  });
});

describe('the metrics named by the alert rules and the Grafana dashboard', () => {
  const ruleExprs = ruleExpressions(readFileSync(RULES, 'utf8'));
  const dashboardExprs = dashboardExpressions(JSON.parse(readFileSync(DASHBOARD, 'utf8')));
  const named = [...new Set([...ruleExprs, ...dashboardExprs].flatMap(metricNames))].sort();
  let platform: TestPlatform;
  const exported = new Set<string>();

  /**
   * payment-service registers provider_request_duration_seconds on its first provider call, not at start:
   * one order and one payment (create_payment at the sandbox) make it appear.
   */
  async function onePayment(): Promise<void> {
    const call = async (app: PlatformApp, method: string, route: string, token: string, body: unknown) => {
      const response = await fetch(`${platform.url(app)}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = await response.text();
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${answer}`);
      return JSON.parse(answer) as { id: string };
    };
    const run = randomUUID().slice(0, 8);
    const admin = tokenFor('admin', 'ops-monitoring');
    const customer = tokenFor('customer', `cust-${run}`);
    const item = { productId: `prod-${run}`, sku: `SKU-${run}`, quantity: 1, unitAmount: 1000 };
    await call('inventory', 'POST', '/v1/products', admin, { id: item.productId, sellerId: 'seller-monitoring', title: 'Product', description: 'monitoring' });
    await call('inventory', 'PUT', `/v1/stock/${item.sku}`, admin, { productId: item.productId, onHand: 10 });
    const order = await call('order', 'POST', '/v1/orders', customer, {
      customerId: `cust-${run}`,
      email: `buyer-${run}@example.com`,
      currency: 'EUR',
      items: [item],
      shippingAmount: 0,
    });
    await call('payment', 'POST', '/v1/payments', customer, { orderId: order.id });
  }

  beforeAll(async () => {
    platform = await TestPlatform.start();
    await onePayment();
    for (const app of Object.keys(PLATFORM_APPS) as PlatformApp[]) {
      const response = await fetch(`${platform.url(app)}/metrics`);
      expect(response.status).toBe(200);
      for (const match of (await response.text()).matchAll(/^# HELP (\S+)/gm)) exported.add(match[1]);
    }
  }, 120000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('finds the expressions and the names in them', () => {
    expect(ruleExprs).toHaveLength(11);
    expect(dashboardExprs.length).toBeGreaterThanOrEqual(10);
    expect(metricNames('histogram_quantile(0.99, sum by (le, outcome) (rate(lock_wait_seconds_bucket{service="refunds"}[5m])))')).toEqual([
      'lock_wait_seconds',
    ]);
    expect(named).toEqual(expect.arrayContaining(['refunds_total', 'refund_process_duration_seconds', 'dead_letters_waiting', 'outbox_lag_seconds']));
  });

  it('are all metrics the services really export (# HELP on GET /metrics of the running platform)', () => {
    expect(named.filter((name) => !exported.has(name))).toEqual([]);
  });
});
