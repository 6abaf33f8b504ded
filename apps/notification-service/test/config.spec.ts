import { loadConfig } from '@ebb/config';
import { refusedVariables } from '@ebb/testing';
import { notificationEnvSchema } from '../src/config';

const production = { NODE_ENV: 'production', EBB_JWT_SECRET: 'people', EBB_SERVICE_SECRET: 'services' };
describe('merchant webhooks in production', () => {
  it("refuses the development merchant-webhook key when merchant webhooks are on", () => {
    const webhooks = { ...production, MERCHANT_WEBHOOK_URL: 'https://shop.example/hooks' };
    expect(refusedVariables(() => loadConfig(notificationEnvSchema, webhooks))).toEqual(['MERCHANT_WEBHOOK_SECRET']);
    expect(refusedVariables(() => loadConfig(notificationEnvSchema, { ...webhooks, MERCHANT_WEBHOOK_SECRET: 'whsec_merchant_local' }))).toEqual(['MERCHANT_WEBHOOK_SECRET']);
    expect(loadConfig(notificationEnvSchema, { ...webhooks, MERCHANT_WEBHOOK_SECRET: 'whsec_shop' }).MERCHANT_WEBHOOK_SECRET).toBe('whsec_shop');
  });
});
