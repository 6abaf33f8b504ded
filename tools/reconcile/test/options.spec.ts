import { parseOptions } from '../reconcile';

describe('npm run reconcile: its arguments', () => {
  it('refuses a missing or malformed date and an unknown provider, and points at payment-service by default', () => {
    expect(parseOptions([])).toMatch(/--date YYYY-MM-DD is required/);
    expect(parseOptions(['--date', '1/12/2026'])).toMatch(/--date YYYY-MM-DD is required/);
    expect(parseOptions(['--date', '2026-12-01', '--provider', 'paypal'])).toMatch(/--provider must be one of/);
    expect(parseOptions(['--date', '2026-12-01', '--nonsense'])).toMatch(/Unknown option/);
    expect(parseOptions(['--date', '2026-12-01', '--provider', 'alipay'], {})).toMatchObject({ date: '2026-12-01', provider: 'alipay', url: 'http://127.0.0.1:3002' });
    expect(parseOptions(['--date', '2026-12-01'], { PAYMENT_URL: 'http://pay.internal:3002/' })).toMatchObject({ url: 'http://pay.internal:3002' });
  });
});
