// `npm run fuzz -- --runs N [--seed S]`: the property tests of apps/e2e/test/properties with more
// cases than `npm test` tries (it runs them with their defaults and a fixed seed).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `npm run fuzz -- --runs N [--seed S] [--only public-writes|refund-ledger]

Runs the fast-check properties against a platform of their own (every service as a process):
any body, header and token on every public write answers 2xx or 4xx and a refusal changes nothing;
any sequence of refund actions and provider faults keeps the four ledgers equal.
  --runs N    cases per property (npm test: 120 writes, 60 webhooks, 12 sequences)
  --seed S    fast-check's seed (default: a new one, printed, so a failure can be replayed)
  --only P    one property file`;

const { values } = parseArgs({ options: { runs: { type: 'string' }, seed: { type: 'string' }, only: { type: 'string' }, help: { type: 'boolean' } } });
const runs = Number(values.runs);
if (values.help || !Number.isInteger(runs) || runs < 1) {
  console.log(USAGE);
  process.exit(values.help ? 0 : 2);
}
const seed = values.seed ?? String(Math.floor(Math.random() * 2 ** 31));
if (!Number.isInteger(Number(seed))) {
  console.error(`--seed must be an integer, not ${seed}`);
  process.exit(2);
}
const root = path.resolve(__dirname, '../..');
console.log(`fuzz: ${runs} cases per property, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`);

const infra = spawnSync('bash', ['tools/infra/up.sh'], { cwd: root, stdio: 'inherit' });
if (infra.status !== 0) process.exit(infra.status ?? 1);
const pattern = `apps/e2e/test/properties/${values.only ?? ''}`;
const jest = spawnSync('npx', ['jest', '--selectProjects', 'e2e', '--testTimeout', String(120_000 + runs * 20_000), pattern], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'fatal', FUZZ_RUNS: String(runs), FUZZ_SEED: seed },
});
process.exit(jest.status ?? 1);
