import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Metrics, histogramQuantile, metricSum } from '../platform';
import { type RunRecord, writeReport } from '../report';
import { percentiles } from '../scenarios';

const histogram = (counts: Record<string, number>): Metrics =>
  new Map(Object.entries(counts).map(([le, count]) => [`lock_wait_seconds_bucket{service="refunds",outcome="acquired",le="${le}"}`, count]));

describe('benchmark figures', () => {
  it('takes a quantile of a histogram between two scrapes, interpolating inside the bucket as PromQL does', () => {
    const before = histogram({ '0.01': 10, '0.1': 10, '1': 10, '+Inf': 10 });
    // 100 new observations: 50 under 10 ms, 40 between 10 and 100 ms, 10 between 100 ms and 1 s
    const after = histogram({ '0.01': 60, '0.1': 100, '1': 110, '+Inf': 110 });
    expect(histogramQuantile(before, after, 'lock_wait_seconds', 0.5)).toBeCloseTo(0.01);
    expect(histogramQuantile(before, after, 'lock_wait_seconds', 0.7)).toBeCloseTo(0.01 + 0.09 * (20 / 40));
    expect(histogramQuantile(before, after, 'lock_wait_seconds', 0.99)).toBeCloseTo(0.1 + 0.9 * (9 / 10));
    expect(histogramQuantile(after, after, 'lock_wait_seconds', 0.99)).toBeUndefined();
  });

  it('sums a metric over the series whose labels match', () => {
    const metrics: Metrics = new Map([
      ['refunds_total{outcome="succeeded"}', 7],
      ['refunds_total{outcome="failed"}', 2],
      ['refunds_total_created{outcome="failed"}', 99],
    ]);
    expect(metricSum(metrics, 'refunds_total')).toBe(9);
    expect(metricSum(metrics, 'refunds_total', 'outcome="failed"')).toBe(2);
  });

  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, shuffled order
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([]).count).toBe(0);
  });

  it('rewrites only the generated part of docs/performance.md and keeps the analysis around it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ebb-bench-'));
    try {
      const path = join(dir, 'performance.md');
      const run = {
        date: '2026-11-25T00:00:00.000Z',
        command: 'npm run bench',
        machine: { cpus: 2 },
        options: {},
        costPerRefund: { transactions: 14, messages: 7, note: 'counted' },
        ledger: { ok: false, refunds: 3, orders: 2, byStatus: { succeeded: 3 }, providerRefunds: 4, refundedTotal: 300, problems: ['refund ref_1 was paid 2 times'] },
        maxRssMb: { refund: 180 },
        durationS: 10,
      } as RunRecord;
      writeReport(path, run, join(dir, 'performance.json'));
      writeFileSync(path, `# Performance\n\nAnalysis before.\n\n${readFileSync(path, 'utf8').split('## Latest run\n\n')[1]}\nAnalysis after.\n`);
      writeReport(path, { ...run, command: 'npm run bench -- --limits' }, join(dir, 'performance.json'));
      const text = readFileSync(path, 'utf8');
      expect(text).toContain('Analysis before.');
      expect(text).toContain('Analysis after.');
      expect(text).toContain('`npm run bench -- --limits`');
      expect(text).not.toContain('`npm run bench`');
      expect(text).toContain('Ledger check: FAILED');
      expect(text).toContain('refund ref_1 was paid 2 times');
      expect(JSON.parse(readFileSync(join(dir, 'performance.json'), 'utf8')).command).toBe('npm run bench -- --limits');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
