import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import { NetworkInTransactionError, dropDatabase, insideTransaction, installTransactionNetworkGuard, openDatabase, refuseInside, transactionGuardWanted } from '../src';
import { TEST_PG_BASE, uniqueSuffix } from '@ebb/testing';

describe('no network call inside a database transaction (the guard on in every test run)', () => {
  const url = `${TEST_PG_BASE}/ebb_test_txguard_${uniqueSuffix()}`;
  let dataSource: DataSource;
  let server: http.Server;
  let target: string;

  beforeAll(async () => {
    installTransactionNetworkGuard();
    dataSource = await openDatabase({ url, entities: [], migrations: [] });
    server = http.createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server?.close();
    await dataSource?.destroy();
    await dropDatabase(url);
  });

  it('is on in tests unless turned off, and where asked for', () => {
    expect(transactionGuardWanted({ NODE_ENV: 'test' })).toBe(true);
    expect(transactionGuardWanted({ NODE_ENV: 'test', EBB_TX_NETWORK_GUARD: '0' })).toBe(false);
    expect(transactionGuardWanted({ NODE_ENV: 'production' })).toBe(false);
    expect(transactionGuardWanted({ NODE_ENV: 'production', EBB_TX_NETWORK_GUARD: '1' })).toBe(true);
  });

  it('refuses fetch, HTTP, gRPC and a guarded client inside a transaction, and lets them run outside', async () => {
    expect((await fetch(target)).status).toBe(200);
    const refused = await dataSource.transaction(async (manager) => {
      await manager.query('SELECT 1');
      expect(insideTransaction()).toBe(true);
      const errors: unknown[] = [];
      await fetch(target).catch((error: unknown) => errors.push(error));
      try {
        http.get(target);
      } catch (error) {
        errors.push(error);
      }
      const client = new grpc.Client('127.0.0.1:1', grpc.credentials.createInsecure());
      try {
        client.makeUnaryRequest('/ebb.order.v1.OrderQuery/GetOrder', () => Buffer.alloc(0), () => ({}), {}, () => undefined);
      } catch (error) {
        errors.push(error);
      } finally {
        client.close();
      }
      try {
        refuseInside(() => 'publish refund.succeeded');
      } catch (error) {
        errors.push(error);
      }
      // however deep the await chain goes
      await Promise.resolve().then(() => fetch(target)).catch((error: unknown) => errors.push(error));
      return errors;
    });
    // by name: a Jest worker's core modules keep the wrapper (and its error class) of the first test file that installed it
    expect(refused.map((error) => [(error as Error).name === NetworkInTransactionError.name, (error as Error).message])).toEqual([
      [true, `network call inside a database transaction: fetch ${target}`],
      [true, `network call inside a database transaction: HTTP GET ${target}`],
      [true, 'network call inside a database transaction: gRPC /ebb.order.v1.OrderQuery/GetOrder'],
      [true, 'network call inside a database transaction: publish refund.succeeded'],
      [true, `network call inside a database transaction: fetch ${target}`],
    ]);
    expect(insideTransaction()).toBe(false);
  });

  it('lets work a transaction scheduled run its calls once the transaction ended', async () => {
    let later: Promise<number> | undefined;
    await dataSource.transaction(async (manager) => {
      await manager.query('SELECT 1');
      later = new Promise((resolve) => setTimeout(resolve, 20)).then(async () => (await fetch(target)).status);
    });
    await expect(later).resolves.toBe(200);
  });
});
