import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { sandboxEnvSchema } from './config';
import { startSandbox } from './sandbox';

async function main() {
  // the schema refuses NODE_ENV=production: this process forges payments
  const env = loadConfigOrExit(sandboxEnvSchema);
  const sandbox = await startSandbox(env);
  // one plain line: other tests start the sandbox as a child process and wait for it
  process.stdout.write(`sandbox listening on ${sandbox.port}\n`);
  // SIGTERM/SIGINT close it (Nest's shutdown hooks): the SMTP sink and pending timers stop too
}

main().catch((error: unknown) => {
  process.stderr.write(`sandbox failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
