import { type ChaosRecord, faultCounts, renderReport } from '../report';
import { buildSchedule } from '../schedule';

const schedule = buildSchedule({ minutes: 10, seed: 3, redisRestart: false, brokerDrops: true });

function record(overrides: Partial<ChaosRecord> = {}): ChaosRecord {
  return {
    command: 'npm run chaos -- --minutes 10 --rate 2 --no-redis-restart',
    startedAt: '2026-12-01T10:00:00.000Z',
    runStartedAt: '2026-12-01T10:01:00.000Z',
    finishedAt: '2026-12-01T10:13:00.000Z',
    durationS: 780,
    runS: 600,
    options: { minutes: 10, rate: 2, seed: 3, redisRestart: false, brokerDrops: true, strictAlerts: false },
    schedule,
    seeding: { orders: 1100, failures: [], seconds: 70 },
    refunds: {
      driver: { requested: 1200, skipped: 0, accepted: 1198, notAccepted: 2, maxLateMs: 40, returnsReceived: 290, inspectionsPassed: 290, returnsNotAwaited: {}, refused: [{ kind: 'before-split', step: 1, orderId: 'ord_7', status: 422, error: { code: 'amount_exceeds_refundable', message: 'too much' } }] },
      byFlow: { 'before-full': 240, delivered: 180 },
      byStatus: { succeeded: 1190, failed: 8 },
      failed: ['ref_1', 'ref_2'],
    },
    client: { calls: 1900, attempts: 2100, retries: { http_503: 150, network: 50 }, refusals: { 'POST /v1/refunds 422 amount_exceeds_refundable': 2 }, serverErrors: { 'refund 503 order_service_unavailable': 150 }, abandoned: {}, long: [{ route: 'POST /v1/refunds', seconds: 301, attempts: 31, reasons: 'network ×2, request_in_progress ×29', outcome: 'done' }] },
    faults: [
      { kind: 'kill-refund', plannedAtS: 150, startedAtS: 150.2, endedAtS: 158, ok: true, detail: 'SIGKILL, ready again after 7.8 s' },
      { kind: 'broker-drop', plannedAtS: 200, startedAtS: 201, endedAtS: 203, ok: false, detail: 'no connection of this platform found to close' },
    ],
    unexpectedExits: [],
    deadLetters: { parked: { 'refund refund.intercepting': 1 }, replayed: 1, errors: { 'refund refund.intercepting': 'carrier answered 500' } },
    ledger: { ok: true, refunds: 1198, orders: 1100, byStatus: { succeeded: 1190 }, providerRefunds: 1190, refundedTotal: 123456, problems: [], lost: 0, unfinished: 0, doubled: 0, unknownToClient: 0 },
    platform: { suffix: '1a2b3c4d' },
    alerts: {
      prometheus: 'http://127.0.0.1:29090',
      dir: '/tmp/ebb-chaos-prometheus-x',
      episodes: [
        { name: 'RefundFailureRateHigh', labels: { alertname: 'RefundFailureRateHigh', severity: 'critical' }, pendingAt: Date.parse('2026-12-01T10:07:10Z'), firedAt: Date.parse('2026-12-01T10:09:12Z'), firedIn: 'outage' },
        { name: 'ServiceDown', labels: { alertname: 'ServiceDown', job: 'refund-service' }, pendingAt: Date.parse('2026-12-01T10:03:30Z'), resolvedAt: Date.parse('2026-12-01T10:03:40Z') },
      ],
      outageMetrics: { failedRefunds: 8, endedRefunds: 300, failureRatio: 0.027, providerErrors: 410 },
      failedReads: 0,
    },
    expectations: [
      { name: 'the provider outage fired RefundFailureRateHigh', held: true, detail: 'fired at 492 s (outage 360–600 s)' },
      { name: 'the calm stretch fired no alert', held: true, detail: 'none fired' },
    ],
    ...overrides,
  };
}

describe('the chaos report', () => {
  it('leads with the ledger: exact, lost 0, doubled 0', () => {
    const text = renderReport(record());
    expect(text).toContain('**Ledger check: exact** — lost 0, doubled 0; 1100 orders, 1190 provider refunds, EUR 1234.56 refunded');
    expect(text).toContain('`npm run chaos -- --minutes 10 --rate 2 --no-redis-restart`');
  });

  it('shows a failed ledger with its real numbers and every problem', () => {
    const ledger = { ...record().ledger, ok: false, lost: 1, doubled: 2, problems: ['refund ref_9 was paid 2 times by the provider (re_1, re_2)', 'order ord_1: refund-service 100, order-service 0, payment-service 0, provider 200'] };
    const text = renderReport(record({ ledger }));
    expect(text).toContain('**Ledger check: FAILED** — lost 1, doubled 2');
    expect(text).toContain('- refund ref_9 was paid 2 times by the provider (re_1, re_2)');
    expect(text).toContain('do NOT agree');
  });

  it('states each expectation as held or not, with why', () => {
    const text = renderReport(
      record({ expectations: [{ name: 'the provider outage fired RefundFailureRateHigh', held: false, detail: 'it was never even pending' }, { name: 'the calm stretch fired no alert', held: true, detail: 'none fired' }] }),
    );
    expect(text).toContain('- DID NOT HOLD: the provider outage fired RefundFailureRateHigh — it was never even pending');
    expect(text).toContain('- HELD: the calm stretch fired no alert — none fired');
  });

  it('counts the refunds by final status, the failed ones apart, and the client’s retries', () => {
    const text = renderReport(record());
    expect(text).toContain('- accepted, by final status: succeeded 1190, failed 8');
    expect(text).toContain('  - not accepted: before-split request 2 on ord_7 → 422 amount_exceeds_refundable too much');
    expect(text).toContain('- failed (final for the customer, waiting for an operator): 2 — ref_1, ref_2');
    expect(text).toContain('2100 attempts, 200 retries: http_503 150, network 50');
    expect(text).toContain('- POST /v1/refunds: 301 s, 31 attempts (network ×2, request_in_progress ×29) → done');
  });

  it('counts every kind of fault, the skipped ones marked, the failed ones apart', () => {
    const counts = faultCounts(record());
    expect(counts.find((c) => c.kind === 'kill-refund')).toMatchObject({ injected: 1, failed: 0 });
    expect(counts.find((c) => c.kind === 'broker-drop')).toMatchObject({ injected: 0, failed: 1 });
    const text = renderReport(record());
    expect(text).toContain('| redis-restart | skipped (option) | 0 | 0 |');
    expect(text).toContain('| kill-refund | 1 | 1 | 0 |');
    expect(text).toContain('FAILED no connection of this platform found to close');
    expect(text).toContain('refund refund.intercepting 1; replayed 1');
  });

  it('lists the alerts with their times from the run’s start and the stretch they fired in', () => {
    const text = renderReport(record());
    expect(text).toContain('| RefundFailureRateHigh |  | 370 | 492 | — | outage |');
    expect(text).toContain('| ServiceDown | job=refund-service | 150 | — | 160 | never fired |');
    expect(text).toContain('8 refunds failed of 300 that reached an outcome, payment-service counted 410 failed provider calls; the rule\'s ratio at its end 2.70%');
  });
});
