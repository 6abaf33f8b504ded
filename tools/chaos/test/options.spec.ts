import { parseOptions } from '../options';

describe('the chaos command line', () => {
  it('runs 10 minutes at 2 refunds/s with every fault by default, with a random seed', () => {
    const options = parseOptions([]);
    expect(options).toMatchObject({ minutes: 10, rate: 2, redisRestart: true, brokerDrops: true, strictAlerts: false, settleMinutes: 5 });
    expect(Number.isInteger((options as { seed: number }).seed)).toBe(true);
  });

  it('takes every option', () => {
    expect(
      parseOptions(['--minutes', '3', '--rate', '0.5', '--seed', '12', '--out', 'r.md', '--json', 'r.json', '--no-redis-restart', '--no-broker-drops', '--strict-alerts', '--settle-minutes', '2']),
    ).toEqual({ minutes: 3, rate: 0.5, seed: 12, out: 'r.md', json: 'r.json', redisRestart: false, brokerDrops: false, strictAlerts: true, settleMinutes: 2, logs: undefined });
    expect(parseOptions(['--help'])).toBe('help');
  });

  it('refuses a run shorter than a minute, a rate that is not a number, a seed that is not whole, and unknown options', () => {
    expect(() => parseOptions(['--minutes', '0.5'])).toThrow('--minutes must be a number ≥ 1');
    expect(() => parseOptions(['--rate', 'fast'])).toThrow('--rate must be a number');
    expect(() => parseOptions(['--seed', '1.5'])).toThrow('--seed must be a whole number');
    expect(() => parseOptions(['--bogus'])).toThrow();
  });
});
