import { waitFor } from '@ebb/testing';
import { type AddressInfo, createServer } from 'node:net';
import nodemailer from 'nodemailer';
import { type TestSandbox, startTestSandbox } from './sandbox-harness';

describe('sandbox carrier API and SMTP sink', () => {
  let sandbox: TestSandbox;

  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('intercepts a parcel, unless its tracking number ends in -LATE', async () => {
    await expect(sandbox.call('POST', '/carrier/v1/interceptions', { carrier: 'dhl', trackingNumber: 'JD0001234' })).resolves.toEqual({
      status: 200,
      body: { status: 'intercepted' },
    });
    await expect(sandbox.call('POST', '/carrier/v1/interceptions', { carrier: 'ups', trackingNumber: '1Z999-LATE' })).resolves.toEqual({
      status: 200,
      body: { status: 'too_late' },
    });
  });

  it('refuses an interception without a carrier or tracking number with a 400 validation_error', async () => {
    const refused = await sandbox.call('POST', '/carrier/v1/interceptions', { trackingNumber: '' });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('validation_error');
    expect(refused.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['carrier', 'trackingNumber']);
  });

  it('answers an interception with a 500 when the error rate fault is on', async () => {
    await sandbox.call('POST', '/__sandbox/faults', { errorRate: 1 });
    const failed = await sandbox.call('POST', '/carrier/v1/interceptions', { carrier: 'dhl', trackingNumber: 'JD1' });
    await sandbox.call('DELETE', '/__sandbox/faults');
    expect(failed.status).toBe(500);
  });

  it('keeps mail sent with nodemailer and lists it at /__sandbox/mail, filtered by ?to=', async () => {
    // as notification-service connects: SMTP_URL, here with a login the sink accepts
    const transport = nodemailer.createTransport(`smtp://ebb:secret@127.0.0.1:${sandbox.smtpPort}`);
    await transport.sendMail({
      from: 'Ebb <refunds@ebb.local>',
      to: 'Ann Buyer <ann@example.com>',
      subject: 'Your refund of €12.50 is on its way',
      text: 'Hello Ann,\n\nwe refunded €12.50 to your card. It can take up to five days to show. ' + 'x'.repeat(100),
      html: '<p>Hello Ann</p>',
    });
    await transport.sendMail({ from: 'refunds@ebb.local', to: 'bob@example.com', subject: 'Receipt', text: 'Paid.' });
    transport.close();

    const all = await waitFor(async () => {
      const { body } = await sandbox.call('GET', '/__sandbox/mail');
      return body.items.length === 2 && body.items;
    });
    expect(all[0]).toEqual({
      id: expect.any(String),
      from: 'Ebb <refunds@ebb.local>',
      to: ['ann@example.com'],
      subject: 'Your refund of €12.50 is on its way',
      text: `Hello Ann,\n\nwe refunded €12.50 to your card. It can take up to five days to show. ${'x'.repeat(100)}`,
      html: '<p>Hello Ann</p>',
      receivedAt: expect.any(String),
    });

    const bobs = await sandbox.call('GET', '/__sandbox/mail?to=BOB@example.com');
    expect(bobs.body.items).toEqual([expect.objectContaining({ subject: 'Receipt', text: 'Paid.', to: ['bob@example.com'] })]);

    expect((await sandbox.call('DELETE', '/__sandbox/mail')).status).toBe(204);
    expect((await sandbox.call('GET', '/__sandbox/mail')).body.items).toEqual([]);
  });

  it('refuses to start when the SMTP_PORT it was given is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = String((blocker.address() as AddressInfo).port);
    await expect(startTestSandbox({ SMTP_PORT: taken })).rejects.toThrow(/EADDRINUSE/);
    await new Promise((resolve) => blocker.close(resolve));
  });

  it('answers /health/live and /metrics', async () => {
    await expect(sandbox.call('GET', '/health/live')).resolves.toEqual({ status: 200, body: { status: 'ok' } });
    const metrics = await fetch(`${sandbox.url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('http_request_duration_seconds');
  });
});
