import { intervalBetween, parseSamples, refundFigures } from '../web/app/metrics';
import { duration, money } from '../web/app/format';

// refund-service's exposition as prom-client writes it: labelled histograms, default labels
const exposition = (succeeded: number, failed: number, sum: number) => `# HELP refunds_total Refunds that reached an outcome
# TYPE refunds_total counter
refunds_total{outcome="succeeded",service="refunds"} ${succeeded}
refunds_total{outcome="failed",service="refunds"} ${failed}
# TYPE refund_process_duration_seconds histogram
refund_process_duration_seconds_bucket{le="1",outcome="succeeded",service="refunds"} ${succeeded - 1}
refund_process_duration_seconds_bucket{le="5",outcome="succeeded",service="refunds"} ${succeeded}
refund_process_duration_seconds_bucket{le="+Inf",outcome="succeeded",service="refunds"} ${succeeded}
refund_process_duration_seconds_sum{outcome="succeeded",service="refunds"} ${sum}
refund_process_duration_seconds_count{outcome="succeeded",service="refunds"} ${succeeded}
refund_process_duration_seconds_bucket{le="1",outcome="failed",service="refunds"} 0
refund_process_duration_seconds_bucket{le="5",outcome="failed",service="refunds"} 0
refund_process_duration_seconds_bucket{le="+Inf",outcome="failed",service="refunds"} ${failed}
refund_process_duration_seconds_sum{outcome="failed",service="refunds"} ${failed * 60}
refund_process_duration_seconds_count{outcome="failed",service="refunds"} ${failed}
refund_oldest_undecided_seconds{service="refunds"} 125.5
`;

describe('the console page’s own reading of figures', () => {
  it('reads refunds by outcome, the failure rate and the processing time from labelled series', () => {
    const figures = refundFigures(exposition(99, 1, 120));
    expect(figures.outcomes).toEqual({ succeeded: 99, failed: 1, rejected: 0, cancelled: 0 });
    expect(figures.failureRate).toBe(0.01);
    expect(figures.processing).toEqual({
      count: 100,
      sum: 180,
      mean: 1.8,
      buckets: [
        { le: '1', count: 98 },
        { le: '5', count: 1 },
        { le: '+Inf', count: 1 },
      ],
    });
    expect(figures.oldestUndecidedSeconds).toBe(125.5);
    // between two readings: what finished in that interval only
    expect(intervalBetween(refundFigures(exposition(99, 1, 120)), refundFigures(exposition(102, 2, 126)))).toEqual({ failureRate: 0.25, meanSeconds: 66 / 4, finished: 4 });
  });

  it('reads escaped label values and skips comments and broken lines', () => {
    expect(parseSamples('# TYPE x gauge\nx{path="/a\\"b",kind="c\\\\d"} 2\nnot a sample\ny +Inf\n')).toEqual([
      { name: 'x', labels: { path: '/a"b', kind: 'c\\d' }, value: 2 },
      { name: 'y', labels: {}, value: Infinity },
    ]);
  });

  it('writes money in the order’s currency from minor units, and ages in the viewer’s language', () => {
    expect(money('en', 12000, 'EUR')).toBe('€120.00');
    expect(money('en', 5000, 'JPY')).toBe('¥5,000');
    expect(money('zh-CN', 1234567, 'KWD')).toMatch(/^KWD\s1,234\.567$/);
    expect(money('en', 9007199254740991, 'USD')).toBe('$90,071,992,547,409.91');
    expect(duration('en', 90061)).toBe('1 day 1 hr');
    expect(duration('zh-CN', 59)).toBe('59秒');
  });
});
