import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiClient, BACKOFF, poll } from '../src';

describe('poll', () => {
  afterEach(() => jest.useRealTimers());

  it('returns what the probe found, once it finds it', async () => {
    let probes = 0;
    expect(await poll('the third probe', async () => ++probes === 3 && { probes }, { intervalMs: 1 })).toEqual({ probes: 3 });
    expect(await poll('a zero', async () => 0)).toBe(0);
  });

  it('gives up after the timeout, naming what it waited for', async () => {
    const started = Date.now();
    await expect(poll('refund ref_1 to succeed', async () => false, { timeoutMs: 200, intervalMs: 20 })).rejects.toThrow(
      'timed out after 200 ms waiting for refund ref_1 to succeed',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('lets an error of the probe end the wait', async () => {
    await expect(poll('a broken probe', async () => Promise.reject(new Error('connection refused')))).rejects.toThrow('connection refused');
  });

  it('with retryErrors asks again after an error, and names the last one when it gives up', async () => {
    let probes = 0;
    const flaky = async () => {
      if (++probes < 3) throw new Error('connection refused');
      return 'up';
    };
    expect(await poll('a service to start', flaky, { intervalMs: 1, retryErrors: true })).toBe('up');
    await expect(
      poll('a service that never starts', async () => Promise.reject(new Error('connection refused')), { timeoutMs: 50, intervalMs: 10, retryErrors: true }),
    ).rejects.toThrow('timed out after 50 ms waiting for a service that never starts: Error: connection refused');
  });

  it('asks at a fixed gap by default, and with a backoff doubles the gap up to its cap', async () => {
    jest.useFakeTimers();
    const gapsOf = async (options: Parameters<typeof poll>[2]) => {
      const at: number[] = [];
      const waiting = poll('never', async () => void at.push(Date.now()), { timeoutMs: 600, ...options }).catch((error: Error) => error);
      await jest.runAllTimersAsync();
      expect(await waiting).toBeInstanceOf(Error);
      return at.slice(1).map((time, i) => time - at[i]);
    };
    expect(new Set(await gapsOf({}))).toEqual(new Set([100]));
    expect(await gapsOf(BACKOFF)).toEqual([10, 20, 40, 80, 160, 250, 250]);
  });

  it('spaces its requests to a real server further and further apart with the backoff', async () => {
    const arrivals: number[] = [];
    const server: Server = createServer((request, response) => {
      arrivals.push(performance.now());
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ready: arrivals.length === 6 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const api = new ApiClient(() => `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await poll('the server to be ready', async () => (await api.call('order', 'GET', '/ready')).ready, BACKOFF);
      const gaps = arrivals.slice(1).map((time, i) => time - arrivals[i]);
      // a timer never fires early: each gap is at least the one the backoff asked for
      [10, 20, 40, 80, 160].forEach((wanted, i) => expect(gaps[i]).toBeGreaterThanOrEqual(wanted - 1));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
