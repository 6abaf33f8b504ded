// No network call inside a database transaction (architecture.md): a transaction held open across a
// call to a provider, a carrier or another service holds its row locks for as long as the other side
// takes, and a timeout leaves the two sides disagreeing. In tests (and wherever EBB_TX_NETWORK_GUARD=1)
// every HTTP request, fetch, gRPC call and broker publish made while a transaction of this process is
// open throws, so the suite proves the rule on every path it runs.
import asyncHooks, { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import https from 'node:https';
import * as grpc from '@grpc/grpc-js';
import { EntityManager } from 'typeorm';

interface Scope {
  /** false once the transaction ended: work it scheduled may run later, outside it */
  open: boolean;
}

// one store per process, kept on a core module: a Jest worker loads this file once per test file, but
// core modules (whose methods the guard wraps, once) only once
const SCOPES = Symbol.for('ebb.transaction-scopes');
const holder = asyncHooks as unknown as { [SCOPES]?: AsyncLocalStorage<Scope> };
const scopes = (holder[SCOPES] ??= new AsyncLocalStorage<Scope>());
let installed = false;

/** Thrown by a network call made while a transaction is open. */
export class NetworkInTransactionError extends Error {
  override readonly name = 'NetworkInTransactionError';
}

/** Whether the caller runs inside an open transaction of this process (only known once the guard is installed). */
export const insideTransaction = (): boolean => scopes.getStore()?.open === true;

/** Throws when called inside an open transaction: for clients the guard does not wrap itself (the broker's publish). */
export function refuseInside(what: () => string): void {
  if (insideTransaction()) throw new NetworkInTransactionError(`network call inside a database transaction: ${what()}`);
}

/** Wraps `owner[method]` so that calling it inside a transaction throws (or, for a method that answers a promise, rejects). */
export function guardNetworkMethod<T extends object>(
  owner: T,
  method: keyof T & string,
  describe: (...args: unknown[]) => string = () => method,
  answers: 'value' | 'promise' = 'value',
): void {
  const original = owner[method] as unknown as (...args: unknown[]) => unknown;
  if (typeof original !== 'function' || (original as { ebbGuarded?: boolean }).ebbGuarded) return;
  const guarded = function (this: unknown, ...args: unknown[]) {
    try {
      refuseInside(() => describe(...args));
    } catch (error) {
      if (answers === 'promise') return Promise.reject(error);
      throw error;
    }
    return original.apply(this, args);
  };
  (guarded as { ebbGuarded?: boolean }).ebbGuarded = true;
  (owner as Record<string, unknown>)[method] = guarded;
}

const urlOf = (target: unknown): string =>
  typeof target === 'string' ? target : target instanceof URL ? target.href : ((target as { href?: string; host?: string; hostname?: string; path?: string } | undefined)?.href ?? `${(target as { hostname?: string })?.hostname ?? (target as { host?: string })?.host ?? '?'}${(target as { path?: string })?.path ?? ''}`);

/**
 * Installs the guard once per process: transactions (every `DataSource.transaction` and
 * `EntityManager.transaction`) mark their async context, and HTTP, fetch and gRPC (`guardNetworkMethod`
 * for other clients, such as the broker's publish) refuse to run inside one.
 */
export function installTransactionNetworkGuard(): void {
  if (installed) return;
  installed = true;
  const transaction = EntityManager.prototype.transaction as (this: EntityManager, ...args: unknown[]) => Promise<unknown>;
  EntityManager.prototype.transaction = function (this: EntityManager, ...args: unknown[]) {
    const scope: Scope = { open: true };
    return scopes.run(scope, () => transaction.apply(this, args)).finally(() => {
      scope.open = false;
    });
  } as typeof EntityManager.prototype.transaction;

  for (const module of [http, https]) {
    guardNetworkMethod(module, 'request', (target) => `HTTP ${urlOf(target)}`);
    guardNetworkMethod(module, 'get', (target) => `HTTP GET ${urlOf(target)}`);
  }
  guardNetworkMethod(globalThis, 'fetch', (target) => `fetch ${urlOf(target)}`, 'promise');
  // gRPC (order-service's OrderQuery)
  guardNetworkMethod(grpc.Client.prototype, 'makeUnaryRequest', (method) => `gRPC ${String(method)}`);
}

/** On in tests (NODE_ENV=test) unless EBB_TX_NETWORK_GUARD=0, and wherever EBB_TX_NETWORK_GUARD=1. */
export function transactionGuardWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.EBB_TX_NETWORK_GUARD === '1' || (env.NODE_ENV === 'test' && env.EBB_TX_NETWORK_GUARD !== '0');
}
