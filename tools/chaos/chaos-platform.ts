// The platform a chaos run works on: TestPlatform's six processes, with the services' own retry
// delays rather than the tests' fast ones, so a restart is weathered as it would be in production.
import amqplib from 'amqplib';
import { PLATFORM_APPS, type PlatformApp, TEST_AMQP_URL, TestPlatform } from '@ebb/testing';
import type { ScrapeTarget } from './prometheus';

/** The services' default MESSAGE_RETRY_DELAYS_MS (libs/config): 1 s, 5 s, 25 s, then parked. */
const RETRY_DELAYS_MS = [1000, 5000, 25000];
export const APPS = Object.keys(PLATFORM_APPS) as PlatformApp[];

/** The job names of deploy/monitoring/prometheus.yml. */
const JOBS: Record<PlatformApp, string> = {
  order: 'order-service',
  payment: 'payment-service',
  refund: 'refund-service',
  inventory: 'inventory-service',
  notification: 'notification-service',
  sandbox: 'sandbox',
};

export async function startChaosPlatform(): Promise<TestPlatform> {
  const env = { MESSAGE_RETRY_DELAYS_MS: RETRY_DELAYS_MS.join(',') };
  return TestPlatform.start(APPS, Object.fromEntries(APPS.map((app) => [app, env])));
}

/** Where Prometheus scrapes each app of the platform. */
export function scrapeTargets(platform: TestPlatform): ScrapeTarget[] {
  return APPS.map((app) => ({ job: JOBS[app], address: `127.0.0.1:${platform.ports[app]}` }));
}

/** Stops the platform; TestPlatform deletes the retry queues of its own delays, these are the others. */
export async function stopChaosPlatform(platform: TestPlatform): Promise<void> {
  await platform.stop();
  const connection = await amqplib.connect(TEST_AMQP_URL).catch(() => undefined);
  if (!connection) return;
  const channel = await connection.createChannel();
  for (const { service } of Object.values(PLATFORM_APPS)) {
    for (const delay of RETRY_DELAYS_MS) await channel.deleteQueue(`${service}-${platform.suffix}.retry.${delay}`).catch(() => undefined);
  }
  await connection.close().catch(() => undefined);
}
