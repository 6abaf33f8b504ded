// The console under test: the built page (built here when its sources are newer), the whole platform
// on free ports granting CORS to the console's origin, the console's server, and Debian's Chromium
// driven by playwright-core.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { ApiClient, checkout } from '@ebb/api-client';
import { loadConfig } from '@ebb/config';
import { type PlatformApp, PLATFORM_APPS, TestPlatform, freePort, tokenFor } from '@ebb/testing';
import { consoleEnvSchema } from '../src/config';
import { startConsole } from '../src/console-server';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist/console');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where each test's screenshot is kept (CI keeps tmp/artifacts). */
export const SCREENSHOTS = path.join(ROOT, 'tmp/artifacts/console');

function newestIn(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the page unless dist/console is newer than its sources (npm test builds it before Jest). */
export function ensureConsoleBuilt(): void {
  const built = (() => {
    try {
      return statSync(path.join(DIST, 'index.html')).mtimeMs;
    } catch {
      return 0;
    }
  })();
  const sources = Math.max(newestIn(path.join(ROOT, 'apps/console/web')), newestIn(path.join(ROOT, 'libs/api-client/src')));
  if (built > sources) return;
  const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.mts'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`console build failed:\n${result.stdout}\n${result.stderr}`);
}

export interface ConsoleWorld {
  platform: TestPlatform;
  api: ApiClient;
  origin: string;
  server: Server;
  browser: BrowserContext;
}

/** The platform, the console and a browser for the tests of one describe block. */
export function consoleForTests(extraEnv: Partial<Record<PlatformApp, Record<string, string>>> = {}): ConsoleWorld {
  const world = {} as ConsoleWorld;
  let profile: string | undefined;
  beforeAll(async () => {
    ensureConsoleBuilt();
    const port = await freePort();
    world.origin = `http://127.0.0.1:${port}`;
    const env: Partial<Record<PlatformApp, Record<string, string>>> = {};
    for (const app of Object.keys(PLATFORM_APPS) as PlatformApp[]) env[app] = { CORS_ORIGINS: world.origin, ...extraEnv[app] };
    world.platform = await TestPlatform.start(undefined, env);
    world.api = new ApiClient((app) => world.platform.url(app));
    world.server = await startConsole(
      loadConfig(consoleEnvSchema, {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: String(port),
        ORDER_URL: world.platform.url('order'),
        PAYMENT_URL: world.platform.url('payment'),
        REFUND_URL: world.platform.url('refund'),
        INVENTORY_URL: world.platform.url('inventory'),
        NOTIFICATION_URL: world.platform.url('notification'),
      }),
    );
    // a fresh profile each run: nothing of an earlier run (a token, a language) carries over
    profile = mkdtempSync(path.join(tmpdir(), 'ebb-console-chromium-'));
    world.browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1440, height: 900 },
      locale: 'en-GB',
      timezoneId: 'Asia/Shanghai',
    });
  }, 180000);
  afterAll(async () => {
    await world.browser?.close().catch(() => undefined);
    await new Promise((resolve) => (world.server ? world.server.close(resolve) : resolve(undefined)));
    await world.platform?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });
  return world;
}

export const admin = () => tokenFor('admin', 'ops-console');
export const support = () => tokenFor('support', 'agent-console');

/** Stocks one product per line, and a customer places the order and pays it by card; answers once it is captured. */
export async function paidOrder(world: ConsoleWorld, lines: { quantity: number; unitAmount: number }[], currency = 'EUR') {
  const run = randomUUID().slice(0, 8);
  const customerId = `cust-${run}`;
  const token = tokenFor('customer', customerId);
  const items = lines.map((line, index) => ({ ...line, productId: `prod-${run}-${index}`, sku: `SKU-${run}-${index}` }));
  for (const line of items) await stock(world, line.productId, line.sku, 100);
  const paid = await checkout(world.api, token, { customerId, email: `buyer-${run}@example.com`, currency, items });
  return { ...paid, customerId, token, items };
}

export async function stock(world: ConsoleWorld, productId: string, sku: string, onHand: number) {
  await catalogue(world, { productId, sellerId: 'seller-console', title: `Product ${sku}`, description: 'console e2e' });
  await world.api.call('inventory', 'PUT', `/v1/stock/${sku}`, { token: admin(), body: { productId, onHand } });
}

/** A product in the catalogue of a seller, known by its title and description. */
export async function catalogue(world: ConsoleWorld, product: { productId: string; sellerId: string; title: string; description: string }) {
  const { productId, ...rest } = product;
  await world.api.call('inventory', 'POST', '/v1/products', { token: admin(), body: { id: productId, ...rest } });
}

/**
 * Signs in through the dev login with the role picked, and waits for the console to show it. The page
 * starts in English: a language another test picked is kept in this browser (as for a person) and
 * would otherwise carry over.
 */
export async function signIn(page: Page, origin: string, role: 'support' | 'admin' | 'customer', then = '/') {
  await page.goto(`${origin}/login?next=${encodeURIComponent(then)}`);
  await page.evaluate(`localStorage.setItem('ebb.console.language', 'en')`); // runs in the page (this file has no DOM types)
  await page.reload();
  await page.getByTestId(`login-${role}`).click();
  await page.getByTestId('role').waitFor();
}

export async function screenshot(page: Page, name: string) {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

export function removeScreenshots(): void {
  rmSync(SCREENSHOTS, { recursive: true, force: true });
}
