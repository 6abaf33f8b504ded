import { ApiError, type CallerSecrets, ServiceIdentity, checkServiceCaller, signToken, verifyCaller } from '../src';

const secrets: CallerSecrets = { jwtSecret: 'people-secret', serviceSecret: 'services-secret' };
const bearer = (token: string) => `Bearer ${token}`;

describe('callers and service identity', () => {
  it('verifies people under the JWT secret and services under the service secret only', () => {
    expect(verifyCaller(signToken({ sub: 'cus_1', role: 'customer' }, secrets.jwtSecret), secrets)).toEqual({ sub: 'cus_1', role: 'customer' });
    expect(verifyCaller(signToken({ sub: 'refunds', role: 'service' }, secrets.serviceSecret), secrets)).toEqual({ sub: 'refunds', role: 'service' });
    // the identity provider's secret cannot make a service; the service secret cannot make a person
    expect(() => verifyCaller(signToken({ sub: 'refunds', role: 'service' }, secrets.jwtSecret), secrets)).toThrow(ApiError);
    expect(() => verifyCaller(signToken({ sub: 'ops', role: 'admin' }, secrets.serviceSecret), secrets)).toThrow(ApiError);
    expect(() => verifyCaller(signToken({ sub: 'ops', role: 'admin' }, 'a-third-secret'), secrets)).toThrow(ApiError);
  });

  it('takes one secret for both when they are the same (local development)', () => {
    const one = { jwtSecret: 'dev', serviceSecret: 'dev' };
    expect(verifyCaller(signToken({ sub: 'payments', role: 'service' }, 'dev'), one).role).toBe('service');
    expect(verifyCaller(signToken({ sub: 'ops', role: 'admin' }, 'dev'), one).role).toBe('admin');
  });

  it('lets only services make internal calls', () => {
    expect(checkServiceCaller(undefined, secrets)).toEqual({ refused: 'unauthenticated', message: expect.any(String) });
    expect(checkServiceCaller('Basic abc', secrets)).toMatchObject({ refused: 'unauthenticated' });
    expect(checkServiceCaller(bearer(signToken({ sub: 'cus_1', role: 'customer' }, secrets.jwtSecret)), secrets)).toMatchObject({ refused: 'forbidden' });
    expect(checkServiceCaller(bearer(signToken({ sub: 'ops', role: 'admin' }, secrets.jwtSecret)), secrets)).toMatchObject({ refused: 'forbidden' });
    const expired = signToken({ sub: 'refunds', role: 'service' }, secrets.serviceSecret, { expiresIn: -10 });
    expect(checkServiceCaller(bearer(expired), secrets)).toMatchObject({ refused: 'unauthenticated' });
    expect(checkServiceCaller(new ServiceIdentity('refunds', secrets.serviceSecret).authorization(), secrets)).toEqual({ sub: 'refunds', role: 'service' });
  });

  it('keeps its own token and signs it again before it runs out', () => {
    const identity = new ServiceIdentity('payments', secrets.serviceSecret);
    const first = identity.authorization();
    expect(identity.authorization()).toBe(first);
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 5 * 60_000 + 1);
    try {
      const renewed = identity.authorization();
      expect(checkServiceCaller(renewed, secrets)).toEqual({ sub: 'payments', role: 'service' });
    } finally {
      clock.mockRestore();
    }
    expect(() => new ServiceIdentity('payments', '')).toThrow();
  });
});
