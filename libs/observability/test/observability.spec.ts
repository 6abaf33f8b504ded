import { Writable } from 'node:stream';
import { Controller, Get, Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { type TestApp, bootTestApp } from '@ebb/testing';
import { HealthRegistry, LOGGER, ObservabilityModule, Public, createLogger } from '../src';

const lines: Record<string, unknown>[] = [];
const sink = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

/** A dependency the test can take down, as a database or broker would go down. */
@Injectable()
class FlakyDependency implements OnModuleInit {
  up = true;
  constructor(private readonly health: HealthRegistry) {}
  onModuleInit() {
    this.health.register('flaky', async () => {
      if (!this.up) throw new Error('connection refused');
    });
  }
}

@Public()
@Controller('v1/echo')
class EchoController {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}
  @Get()
  echo() {
    this.logger.info('echo handled');
    return { ok: true };
  }
}

describe('observability', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    @Module({
      imports: [
        ObservabilityModule.forRoot({ service: 'observability-test', logger: createLogger('observability-test', 'info', sink) }),
      ],
      controllers: [EchoController],
      providers: [FlakyDependency],
    })
    class TestModule {}
    testApp = await bootTestApp({ module: TestModule });
  });
  afterAll(() => testApp.close());

  it('answers live always and ready only while every dependency answers', async () => {
    expect((await fetch(`${testApp.url}/health/live`)).status).toBe(200);
    expect((await fetch(`${testApp.url}/health/ready`)).status).toBe(200);
    testApp.app.get(FlakyDependency).up = false;
    const down = await fetch(`${testApp.url}/health/ready`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as { checks: Record<string, unknown> };
    expect(body.checks.flaky).toEqual({ ok: false, error: 'connection refused' });
    testApp.app.get(FlakyDependency).up = true;
    expect((await fetch(`${testApp.url}/health/ready`)).status).toBe(200);
  });

  it('logs JSON lines carrying the correlation id taken from the request, and echoes it back', async () => {
    const response = await fetch(`${testApp.url}/v1/echo`, { headers: { 'x-correlation-id': 'corr-abc-1' } });
    expect(response.headers.get('x-correlation-id')).toBe('corr-abc-1');
    const line = lines.find((entry) => entry.msg === 'echo handled');
    expect(line).toMatchObject({ service: 'observability-test', level: 'info', correlationId: 'corr-abc-1' });
  });

  it('makes a new correlation id when the request brings none or a malformed one', async () => {
    const response = await fetch(`${testApp.url}/v1/echo`, { headers: { 'x-correlation-id': 'bad id with spaces' } });
    const given = response.headers.get('x-correlation-id');
    expect(given).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus metrics: defaults and HTTP request durations by route and status', async () => {
    await fetch(`${testApp.url}/v1/echo`);
    await fetch(`${testApp.url}/v1/nowhere`);
    const response = await fetch(`${testApp.url}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_seconds_total\{service="observability-test"\} /m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{[^}]*method="GET",route="\/v1\/echo",status="200"[^}]*\} [1-9]/m);
    expect(text).toMatch(/^http_request_duration_seconds_count\{[^}]*route="unmatched",status="404"[^}]*\} [1-9]/m);
  });
});
