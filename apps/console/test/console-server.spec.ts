import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '@ebb/config';
import { verifyToken } from '@ebb/http';
import { refusedVariables } from '@ebb/testing';
import { consoleEnvSchema } from '../src/config';
import { consoleApp } from '../src/console-server';

describe('the console’s server', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'ebb-console-dist-'));
  writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Ebb console</title>');
  const env = (vars: Record<string, string> = {}) => loadConfig(consoleEnvSchema, { CONSOLE_DIST: dist, ...vars });

  it('tells the page where each service answers, at run time', async () => {
    const app = consoleApp(env({ REFUND_URL: 'https://refunds.api.shop.example', CONSOLE_SSO_URL: 'https://sso.shop.example/login' }));
    const answer = await request(app).get('/config.json').expect(200);
    expect(answer.body).toEqual({
      services: { order: 'http://127.0.0.1:3001', payment: 'http://127.0.0.1:3002', refund: 'https://refunds.api.shop.example', inventory: 'http://127.0.0.1:3004', notification: 'http://127.0.0.1:3005' },
      devLogin: true,
      ssoUrl: 'https://sso.shop.example/login',
    });
    // the page may call those services and nothing else
    expect(answer.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:3001 http://127.0.0.1:3002 https://refunds.api.shop.example");
  });

  it('mints a development token for the role picked, signed as the services verify it, and refuses a role it does not offer', async () => {
    const app = consoleApp(env({ EBB_JWT_SECRET: 'console-test-secret' }));
    const minted = await request(app).post('/dev-token').send({ role: 'support', sub: 'agent-7' }).expect(201);
    expect(verifyToken(minted.body.token, 'console-test-secret')).toEqual({ sub: 'agent-7', role: 'support' });
    const refused = await request(app).post('/dev-token').send({ role: 'service' }).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'validation_error', details: [{ field: 'role' }] });
  });

  it('offers no dev login in production, and will not start with it turned on there', async () => {
    const production = { NODE_ENV: 'production' };
    const app = consoleApp(env(production));
    expect((await request(app).get('/config.json')).body.devLogin).toBe(false);
    expect((await request(app).post('/dev-token').send({ role: 'admin' })).status).toBe(404);
    expect(refusedVariables(() => env({ ...production, CONSOLE_DEV_LOGIN: 'true' }))).toEqual(['CONSOLE_DEV_LOGIN']);
    expect(refusedVariables(() => env({ REFUND_URL: 'http://refunds.example/api' }))).toEqual(['REFUND_URL']);
  });

  it('answers every page of the console with the built page, and is ready only once it is built', async () => {
    const app = consoleApp(env());
    const page = await request(app).get('/refunds?status=failed').expect(200);
    expect(page.text).toContain('<title>Ebb console</title>');
    await request(app).get('/health/ready').expect(200);
    const unbuilt = consoleApp(env({ CONSOLE_DIST: mkdtempSync(path.join(tmpdir(), 'ebb-console-empty-')) }));
    await request(unbuilt).get('/health/ready').expect(503);
    expect((await request(unbuilt).get('/review')).body.error.code).toBe('console_not_built');
  });
});
