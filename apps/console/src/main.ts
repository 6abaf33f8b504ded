import { loadConfigOrExit } from '@ebb/config';
import { consoleEnvSchema } from './config';
import { startConsole } from './console-server';

const env = loadConfigOrExit(consoleEnvSchema);
void startConsole(env).then((server) => {
  process.stdout.write(`console listening on http://${env.HOST}:${env.PORT} (dev login ${env.devLogin ? 'on' : 'off'})\n`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
