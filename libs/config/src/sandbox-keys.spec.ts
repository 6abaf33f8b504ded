import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pemSetting, sandboxKeys } from './sandbox-keys';

const ROOT = path.resolve(__dirname, '../../..');

describe('the sandbox keys of a machine', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'ebb-keys-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('generates matching pairs once, and reads the same ones afterwards', () => {
    const dir = path.join(scratch, 'once');
    const keys = sandboxKeys(dir);
    expect(createPublicKey(createPrivateKey(keys.alipay.appPrivateKey)).export({ type: 'spki', format: 'pem' })).toBe(keys.alipay.appPublicKey);
    expect(createPublicKey(createPrivateKey(keys.wechatpay.platformPrivateKey)).export({ type: 'spki', format: 'pem' })).toBe(keys.wechatpay.platformPublicKey);
    expect(keys.wechatpay.apiV3Key).toHaveLength(32);
    expect(keys.wechatpay.platformPublicKeyId).toMatch(/^PUB_KEY_ID_/);
    expect(sandboxKeys(dir)).toEqual(keys);
    expect(readdirSync(dir).sort()).toHaveLength(9);
  });

  it('gives every process the same set when several start at once on a machine that has none', async () => {
    const dir = path.join(scratch, 'race');
    const script = `process.stdout.write(require('./libs/config/src/sandbox-keys').sandboxKeys(${JSON.stringify(dir)}).wechatpay.apiV3Key)`;
    const run = async () => (await promisify(execFile)(process.execPath, ['-r', './tools/register.js', '-e', script], { cwd: ROOT, encoding: 'utf8' })).stdout;
    const seen = new Set([...(await Promise.all([run(), run(), run(), run()])), sandboxKeys(dir).wechatpay.apiV3Key]);
    expect(seen.size).toBe(1);
    // no half-written folder is left behind
    expect(readdirSync(scratch).filter((name) => name.startsWith('race.'))).toEqual([]);
  });

  it('takes a key setting as the PEM itself (newlines written \\n) or as the path of a file holding it', () => {
    const pem = sandboxKeys(path.join(scratch, 'once')).alipay.appPublicKey;
    expect(pemSetting.parse(pem)).toBe(pem);
    expect(pemSetting.parse(pem.replace(/\n/g, '\\n'))).toBe(pem);
    const file = path.join(scratch, 'key.pem');
    writeFileSync(file, pem);
    expect(pemSetting.parse(file)).toBe(pem);
    expect(pemSetting.safeParse('/no/such/file.pem').success).toBe(false);
    expect(pemSetting.safeParse('not a key').success).toBe(false);
  });
});
