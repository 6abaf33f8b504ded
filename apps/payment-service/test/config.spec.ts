import { loadConfig } from '@ebb/config';
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
