import { loadConfig, sandboxKeys } from '@ebb/config';
import { refusedVariables } from '@ebb/testing';
import { DEV_STRIPE_SECRET_KEY, DEV_STRIPE_WEBHOOK_SECRET, paymentEnvSchema } from '../src/config';

const production = { NODE_ENV: 'production', EBB_JWT_SECRET: 'people', EBB_SERVICE_SECRET: 'services' };
describe('provider secrets in production', () => {
  it("refuses the sandbox's Stripe keys, naming each, and takes real ones", () => {
    expect(refusedVariables(() => loadConfig(paymentEnvSchema, production))).toEqual(['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']);
    expect(refusedVariables(() => loadConfig(paymentEnvSchema, { ...production, STRIPE_SECRET_KEY: DEV_STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET: DEV_STRIPE_WEBHOOK_SECRET }))).toEqual([
      'STRIPE_SECRET_KEY',
      'STRIPE_WEBHOOK_SECRET',
    ]);
    const env = loadConfig(paymentEnvSchema, { ...production, STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' });
    expect([env.STRIPE_SECRET_KEY, env.STRIPE_WEBHOOK_SECRET]).toEqual(['sk_live_1', 'whsec_1']);
    // development keeps the sandbox's
    expect(loadConfig(paymentEnvSchema, {}).STRIPE_WEBHOOK_SECRET).toBe(DEV_STRIPE_WEBHOOK_SECRET);
  });
});

describe('Alipay and WeChat Pay settings', () => {
  const live = { ...production, STRIPE_SECRET_KEY: 'sk_live_1', STRIPE_WEBHOOK_SECRET: 'whsec_1' };

  it('turns each provider on in production only when all its settings are given, and refuses half of them', () => {
    const none = loadConfig(paymentEnvSchema, live);
    expect([none.ALIPAY_ENABLED, none.WECHATPAY_ENABLED]).toEqual([false, false]);
    expect(refusedVariables(() => loadConfig(paymentEnvSchema, { ...live, ALIPAY_APP_ID: '2021001' }))).toEqual(['ALIPAY_APP_ID']);
    expect(refusedVariables(() => loadConfig(paymentEnvSchema, { ...live, WECHATPAY_MCHID: '1900001' }))).toEqual(['WECHATPAY_MCHID']);
    const keys = sandboxKeys();
    const alipay = loadConfig(paymentEnvSchema, { ...live, ALIPAY_APP_ID: '2021001', ALIPAY_APP_PRIVATE_KEY: keys.alipay.appPrivateKey, ALIPAY_PUBLIC_KEY: keys.alipay.platformPublicKey });
    expect([alipay.ALIPAY_ENABLED, alipay.WECHATPAY_ENABLED]).toEqual([true, false]);
    expect(refusedVariables(() => loadConfig(paymentEnvSchema, { ...live, ALIPAY_APP_ID: '2021001', ALIPAY_APP_PRIVATE_KEY: 'not a key', ALIPAY_PUBLIC_KEY: 'x' }))).toEqual([
      'ALIPAY_APP_PRIVATE_KEY',
      'ALIPAY_PUBLIC_KEY',
    ]);
  });

  it('uses the sandbox’s merchant and this machine’s generated keys in development', () => {
    const env = loadConfig(paymentEnvSchema, {});
    expect(env).toMatchObject({ ALIPAY_ENABLED: true, WECHATPAY_ENABLED: true, ALIPAY_APP_PRIVATE_KEY: sandboxKeys().alipay.appPrivateKey, WECHATPAY_API_V3_KEY: sandboxKeys().wechatpay.apiV3Key });
  });
});
