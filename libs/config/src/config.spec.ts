import { z } from 'zod';
import { ConfigError, loadConfig, serviceEnvSchema } from './index';

describe('loadConfig', () => {
  const schema = serviceEnvSchema('orders', 3001);

  it('fills every connection setting with a local default', () => {
    const env = loadConfig(schema, {});
    expect(env.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/ebb_orders');
    expect(env.AMQP_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(env.REDIS_URLS).toEqual(['redis://127.0.0.1:6379']);
    expect(env.PORT).toBe(3001);
    expect(env.EBB_JWT_SECRET).toBe('ebb-dev-secret');
  });

  it('names a malformed database URL', () => {
    expect(() => loadConfig(schema, { DATABASE_URL: 'mysql://x/y' })).toThrow(
      new ConfigError('DATABASE_URL', 'must be a URL like postgres://user@host:5432/db'),
    );
  });

  it('names a port that is not a number', () => {
    expect(() => loadConfig(schema, { PORT: 'eighty' })).toThrow(/^PORT: /);
  });

  it('refuses to start in production without its secrets, naming each one', () => {
    let refusal: ConfigError | undefined;
    try {
      loadConfig(schema, { NODE_ENV: 'production' });
    } catch (error) {
      refusal = error as ConfigError;
    }
    expect(refusal).toBeInstanceOf(ConfigError);
    expect(refusal?.issues).toEqual([
      { variable: 'EBB_JWT_SECRET', problem: 'is required in production' },
      { variable: 'EBB_SERVICE_SECRET', problem: 'is required in production' },
    ]);
  });

  it('refuses the development secrets in production, and one secret for both people and services', () => {
    expect(() => loadConfig(schema, { NODE_ENV: 'production', EBB_JWT_SECRET: 'ebb-dev-secret', EBB_SERVICE_SECRET: 's3rvice' })).toThrow(
      new ConfigError('EBB_JWT_SECRET', 'is the development default, which must not be used in production'),
    );
    expect(() => loadConfig(schema, { NODE_ENV: 'production', EBB_JWT_SECRET: 'same', EBB_SERVICE_SECRET: 'same' })).toThrow(/^EBB_SERVICE_SECRET: must differ from EBB_JWT_SECRET/);
    const env = loadConfig(schema, { NODE_ENV: 'production', EBB_JWT_SECRET: 'people', EBB_SERVICE_SECRET: 'services' });
    expect([env.EBB_JWT_SECRET, env.EBB_SERVICE_SECRET]).toEqual(['people', 'services']);
    // development signs service tokens with the one documented secret unless told otherwise
    expect(loadConfig(schema, {}).EBB_SERVICE_SECRET).toBe('ebb-dev-secret');
  });

  it('says a required variable is not set', () => {
    expect(() => loadConfig(z.object({ PAYMENT_API_KEY: z.string() }), {})).toThrow(
      new ConfigError('PAYMENT_API_KEY', 'is required but not set'),
    );
  });

  it('parses a list of Redis masters', () => {
    const env = loadConfig(schema, { REDIS_URLS: 'redis://a:6379, redis://b:6379' });
    expect(env.REDIS_URLS).toEqual(['redis://a:6379', 'redis://b:6379']);
  });

  it('allows no browser origin unless told, and names an origin with a path', () => {
    expect(loadConfig(schema, {}).CORS_ORIGINS).toEqual([]);
    expect(loadConfig(schema, { CORS_ORIGINS: 'https://console.shop.example, http://localhost:5173' }).CORS_ORIGINS).toEqual([
      'https://console.shop.example',
      'http://localhost:5173',
    ]);
    expect(() => loadConfig(schema, { CORS_ORIGINS: 'https://console.shop.example/' })).toThrow(ConfigError);
  });
});
