import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * The keys the sandbox and payment-service share in development and tests, generated on this
 * machine the first time anything asks (never committed: `tmp/` is git-ignored). Each side gets only
 * what its real counterpart would hold: the merchant's private keys and the provider's public keys
 * for payment-service, the opposite for the sandbox. Production passes its own through the environment.
 */
export interface SandboxKeys {
  alipay: { appPrivateKey: string; appPublicKey: string; platformPrivateKey: string; platformPublicKey: string };
  wechatpay: {
    merchantPrivateKey: string;
    merchantPublicKey: string;
    /** the merchant certificate's serial number, as WeChat Pay names the key that signs a request */
    merchantSerial: string;
    platformPrivateKey: string;
    platformPublicKey: string;
    /** WeChat Pay's platform public key id (`PUB_KEY_ID_…`), sent as `Wechatpay-Serial` */
    platformPublicKeyId: string;
    /** the APIv3 key: 32 characters, the AES-256-GCM key of notification resources */
    apiV3Key: string;
  };
}

const FILES = {
  'alipay-app-private.pem': (k: SandboxKeys) => k.alipay.appPrivateKey,
  'alipay-app-public.pem': (k: SandboxKeys) => k.alipay.appPublicKey,
  'alipay-platform-private.pem': (k: SandboxKeys) => k.alipay.platformPrivateKey,
  'alipay-platform-public.pem': (k: SandboxKeys) => k.alipay.platformPublicKey,
  'wechatpay-merchant-private.pem': (k: SandboxKeys) => k.wechatpay.merchantPrivateKey,
  'wechatpay-merchant-public.pem': (k: SandboxKeys) => k.wechatpay.merchantPublicKey,
  'wechatpay-platform-private.pem': (k: SandboxKeys) => k.wechatpay.platformPrivateKey,
  'wechatpay-platform-public.pem': (k: SandboxKeys) => k.wechatpay.platformPublicKey,
  'wechatpay.json': (k: SandboxKeys) =>
    JSON.stringify({ merchantSerial: k.wechatpay.merchantSerial, platformPublicKeyId: k.wechatpay.platformPublicKeyId, apiV3Key: k.wechatpay.apiV3Key }, null, 2),
} as const;

/** Where they live: `EBB_SANDBOX_KEYS_DIR`, else `tmp/sandbox-keys` at the repository's root. */
export const sandboxKeysDir = () => process.env.EBB_SANDBOX_KEYS_DIR ?? path.resolve(__dirname, '../../../tmp/sandbox-keys');

function rsaPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

function generate(): SandboxKeys {
  const alipayApp = rsaPair();
  const alipayPlatform = rsaPair();
  const merchant = rsaPair();
  const platform = rsaPair();
  return {
    alipay: { appPrivateKey: alipayApp.privateKey, appPublicKey: alipayApp.publicKey, platformPrivateKey: alipayPlatform.privateKey, platformPublicKey: alipayPlatform.publicKey },
    wechatpay: {
      merchantPrivateKey: merchant.privateKey,
      merchantPublicKey: merchant.publicKey,
      merchantSerial: randomBytes(20).toString('hex').toUpperCase(),
      platformPrivateKey: platform.privateKey,
      platformPublicKey: platform.publicKey,
      platformPublicKeyId: `PUB_KEY_ID_${randomBytes(16).toString('hex').toUpperCase()}`,
      apiV3Key: randomBytes(24).toString('base64url').slice(0, 32),
    },
  };
}

function read(dir: string): SandboxKeys {
  const file = (name: keyof typeof FILES) => readFileSync(path.join(dir, name), 'utf8');
  const wechat = JSON.parse(file('wechatpay.json')) as { merchantSerial: string; platformPublicKeyId: string; apiV3Key: string };
  return {
    alipay: {
      appPrivateKey: file('alipay-app-private.pem'),
      appPublicKey: file('alipay-app-public.pem'),
      platformPrivateKey: file('alipay-platform-private.pem'),
      platformPublicKey: file('alipay-platform-public.pem'),
    },
    wechatpay: {
      ...wechat,
      merchantPrivateKey: file('wechatpay-merchant-private.pem'),
      merchantPublicKey: file('wechatpay-merchant-public.pem'),
      platformPrivateKey: file('wechatpay-platform-private.pem'),
      platformPublicKey: file('wechatpay-platform-public.pem'),
    },
  };
}

let cached: { dir: string; keys: SandboxKeys } | undefined;

/**
 * The sandbox's keys, generated once into `dir` if it holds none. Several processes may start at
 * once (npm start, a test run): each writes a complete set into a folder of its own and renames it
 * into place; the first rename wins and every process reads the winner's, so both sides always agree.
 */
export function sandboxKeys(dir = sandboxKeysDir()): SandboxKeys {
  if (cached?.dir === dir) return cached.keys;
  if (!existsSync(path.join(dir, 'wechatpay.json'))) {
    mkdirSync(path.dirname(dir), { recursive: true });
    const staging = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
    mkdirSync(staging, { mode: 0o700 });
    const keys = generate();
    for (const [name, content] of Object.entries(FILES)) writeFileSync(path.join(staging, name), content(keys), { mode: 0o600 });
    try {
      renameSync(staging, dir);
    } catch {
      // another process put its set in place first: use that one
      rmSync(staging, { recursive: true, force: true });
    }
  }
  cached = { dir, keys: read(dir) };
  return cached.keys;
}

/**
 * A key setting: the PEM itself (newlines may be written `\n`, as an environment often holds them),
 * or the path of a file holding it (a mounted secret).
 */
export const pemSetting = z
  .string()
  .min(1)
  .transform((value, ctx) => {
    const text = value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : existsSync(value) ? readFileSync(value, 'utf8') : undefined;
    if (!text || !/-----BEGIN [A-Z ]+-----/.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'must be a PEM key, or the path of a file holding one' });
      return z.NEVER;
    }
    return text;
  });
