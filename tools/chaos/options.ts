// The command line of `npm run chaos`.
import { parseArgs } from 'node:util';

export interface ChaosOptions {
  minutes: number;
  rate: number;
  seed: number;
  out?: string;
  json?: string;
  redisRestart: boolean;
  brokerDrops: boolean;
  strictAlerts: boolean;
  /** how long, at most, accepted refunds get to reach a final status after the run */
  settleMinutes: number;
  /** a directory to keep the services' last output in (killed and crashed processes included) */
  logs?: string;
}

export const USAGE = `npm run chaos -- [options]

Runs its own platform (TestPlatform: every service as a process, on free ports, databases and an
exchange of its own) and a real Prometheus evaluating deploy/monitoring/alerts.rules.yml; drives
refunds at a steady rate through the public API while faults are injected on a seeded schedule;
then checks that no refund was lost or paid twice and reports which alerts fired.

  --minutes M          length of the run, M ≥ 1 (default 10)
  --rate R             refund requests per second (default 2)
  --seed N             the schedule's and workload's seed (default: random, printed)
  --out FILE           also write the report as markdown
  --json FILE          also write the run's record as JSON
  --no-redis-restart   do not restart the machine's Redis (other work shares it)
  --no-broker-drops    do not close this platform's RabbitMQ connections
  --strict-alerts      exit 2 when an alert expectation does not hold
  --settle-minutes S   how long accepted refunds get to end after the run (default 5)
  --logs DIR           keep each service's last output in DIR
  --help               this text

Schedule (seeded, scaled to --minutes; schedule.ts): the first 20% calm, no fault at all; then every
other fault: each service SIGKILLed and started again, the broker connections dropped, Redis restarted
(rounds of these ~30 s apart, one round at least), and sandbox windows of provider latency, provider
errors, duplicated webhooks, reordered webhooks and a slow carrier (one at a time, each ≥ 60 s when the
run allows rounds of them); the last 40%, at least 150 s where that is at most half the run, is the
provider outage (sandbox errorRate 1). RefundFailureRateHigh (for: 2m over a 5m rate) can only be
expected to fire in runs of 5 minutes or more.

Exit code: 0 when the ledger adds up; 1 when it does not (any lost, doubled or disagreeing refund);
2 with --strict-alerts when the outage did not fire RefundFailureRateHigh or the calm stretch fired an alert.`;

/** Parses argv (without node and the script); a bad value is an Error naming it. */
export function parseOptions(argv: string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string', default: '10' },
      rate: { type: 'string', default: '2' },
      seed: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'string' },
      'no-redis-restart': { type: 'boolean', default: false },
      'no-broker-drops': { type: 'boolean', default: false },
      'strict-alerts': { type: 'boolean', default: false },
      'settle-minutes': { type: 'string', default: '5' },
      logs: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';
  const number = (name: string, raw: string, min: number) => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number ≥ ${min}, not ${JSON.stringify(raw)}`);
    return value;
  };
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed', values.seed, 0);
  if (!Number.isInteger(seed)) throw new Error(`--seed must be a whole number, not ${values.seed}`);
  return {
    minutes: number('minutes', values.minutes, 1),
    rate: number('rate', values.rate, 0.1),
    seed,
    out: values.out,
    json: values.json,
    redisRestart: !values['no-redis-restart'],
    brokerDrops: !values['no-broker-drops'],
    strictAlerts: values['strict-alerts'],
    settleMinutes: number('settle-minutes', values['settle-minutes'], 0.5),
    logs: values.logs,
  };
}
