// A service's first lines, as every Ebb main starts: validate the environment, then connect.
import { Client } from 'pg';
import { loadConfigOrExit, serviceEnvSchema } from '../src';

async function main() {
  const env = loadConfigOrExit(serviceEnvSchema('fixture', 3999));
  const client = new Client({ connectionString: env.DATABASE_URL.replace(/\/[^/]*$/, '/postgres') });
  await client.connect();
  await client.end();
  process.stdout.write('started\n');
}

void main();
