import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { DrainLoop } from '@ebb/messaging';
import { counter, gauge } from '@ebb/observability';
import { CallRefusedError, type CallKind, type ClaimedCall, type OutboundCall, outboundCommits } from './outbound-call';

/**
 * What a service does with one kind of call. `call` runs with no transaction open; the others run in
 * the transaction that records the call's end, and must only touch `manager`.
 */
export interface CallHandler<P, R> {
  call(call: OutboundCall<P>): Promise<R>;
  /** the answer came: record what it means */
  onResult(manager: EntityManager, call: OutboundCall<P>, result: R): Promise<void>;
  /** refused (`CallRefusedError`): trying again cannot help */
  onRefused?(manager: EntityManager, call: OutboundCall<P>, error: CallRefusedError): Promise<void>;
  /** every attempt failed with an unknown outcome: the call is parked for a person (and alerted on) */
  onParked?(manager: EntityManager, call: OutboundCall<P>, error: Error): Promise<void>;
  /** an attempt failed with an unknown outcome and another is scheduled (`delayMs` from now) */
  onRetry?(manager: EntityManager, call: OutboundCall<P>, error: Error, delayMs: number): Promise<void>;
}

interface CallRow {
  id: string;
  kind: string;
  key: string;
  payload: unknown;
  attempts: number;
  first_called_at: Date;
}

export interface OutboundOptions {
  /** how often the loop looks for calls due (retries, other replicas' calls, leases run out) */
  pollMs: number;
  /** calls in flight at once in this process */
  concurrency: number;
}

/** Processes with a loop, for the gauges read at scrape time. */
const running = new Set<OutboundCalls>();

const outcomes = counter('outbound_calls_total', 'Calls that left the process, by kind and outcome (done, refused, retry, parked)', ['kind', 'outcome']);
const parkedGauge = () =>
  gauge('outbound_calls_parked', 'Calls parked after their last attempt: a person must look (GET /v1/admin/outbound-calls)', ['kind'], async function collect() {
    this.reset();
    for (const calls of running) for (const [kind, count] of await calls.parkedByKind()) this.set({ kind }, count);
  });

const CLAIM = `
  WITH due AS (
    SELECT id FROM outbound_calls
     WHERE kind = ANY($1::text[])
       AND ((status = 'due' AND next_attempt_at <= now()) OR (status = 'calling' AND lease_until < now()))
     ORDER BY next_attempt_at
     LIMIT $2
     FOR UPDATE SKIP LOCKED
  )
  UPDATE outbound_calls c
     SET status = 'calling', attempts = c.attempts + 1, first_called_at = coalesce(c.first_called_at, now()), updated_at = now(),
         lease_until = now() + make_interval(secs => (($3::jsonb) ->> c.kind)::float8 / 1000)
    FROM due WHERE c.id = due.id
  RETURNING c.id, c.kind, c.key, c.payload, c.attempts, c.first_called_at`;

/**
 * One primitive for every call that leaves a service: the intent is a row recorded in the caller's
 * transaction (`recordCall`) → claimed with a lease → made with no transaction open → its result
 * recorded in a new transaction → a lease left by a dead process is claimed again. Attempts are
 * bounded with backoff; the last failure parks the call and counts it on `outbound_calls_parked`.
 * A call may be made twice (a crash between the call and the record): every kind carries its own
 * idempotency key to the other side.
 */
export class OutboundCalls {
  private readonly handlers = new Map<string, { kind: CallKind<unknown>; handler: CallHandler<unknown, unknown> }>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop = new DrainLoop(() => this.drain(), {
    onError: (error) => this.logger?.warn({ err: (error as Error).message }, 'outbound call round failed; the next poll retries'),
  });
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopped = true;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: OutboundOptions,
    private readonly logger?: Logger,
  ) {
    parkedGauge();
  }

  /**
   * Registers what to do with calls of one kind (in `onModuleInit`); `tuning` overrides the kind's
   * attempts, backoff and lease (a service's own settings).
   */
  handle<P, R>(kind: CallKind<P>, handler: CallHandler<P, R>, tuning: Partial<Pick<CallKind<P>, 'maxAttempts' | 'backoffMs' | 'leaseMs'>> = {}): this {
    if (this.handlers.has(kind.kind)) throw new Error(`outbound call kind ${kind.kind} registered twice`);
    const tuned = { ...kind, ...Object.fromEntries(Object.entries(tuning).filter(([, value]) => value !== undefined)) } as CallKind<unknown>;
    this.handlers.set(kind.kind, { kind: tuned, handler: handler as CallHandler<unknown, unknown> });
    return this;
  }

  start(): void {
    if (this.handlers.size === 0) return;
    this.stopped = false;
    this.loop.resume();
    running.add(this);
    this.unsubscribe = outboundCommits(this.dataSource.manager).onCommit(() => setImmediate(() => this.wake()));
    this.timer = setInterval(() => this.wake(), this.options.pollMs);
    this.timer.unref();
    this.wake();
  }

  /** Claims no more calls, and waits for those in flight to record their results. */
  async stop(): Promise<void> {
    this.stopped = true;
    running.delete(this);
    this.unsubscribe?.();
    clearInterval(this.timer);
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  wake(): void {
    if (!this.stopped) void this.loop.wake();
  }

  /**
   * Makes a call this process claimed when it recorded it, now (the fast path of a request): the
   * result is recorded before this resolves. Never throws: a failure is scheduled like any other.
   */
  async runClaimed(claimed: ClaimedCall | undefined): Promise<void> {
    if (!claimed) return;
    const rows: CallRow[] = await this.dataSource.query(
      `SELECT id, kind, key, payload, attempts, first_called_at FROM outbound_calls WHERE id = $1 AND status = 'calling'`,
      [claimed.id],
    );
    if (rows[0]) await this.track(this.run(rows[0]));
  }

  /** Parked calls by kind (the gauge). */
  async parkedByKind(): Promise<[string, number][]> {
    if (!this.dataSource.isInitialized) return [];
    const rows: { kind: string; count: number }[] = await this.dataSource.query(
      `SELECT kind, count(*)::int AS count FROM outbound_calls WHERE status = 'parked' AND kind = ANY($1::text[]) GROUP BY kind`,
      [[...this.handlers.keys()]],
    );
    return rows.map((row) => [row.kind, row.count]);
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    return work.finally(() => {
      this.inFlight.delete(work);
      if (!this.stopped) this.wake();
    });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const room = this.options.concurrency - this.inFlight.size;
      if (this.stopped || room <= 0 || !this.dataSource.isInitialized) return;
      const leases = Object.fromEntries([...this.handlers.values()].map(({ kind }) => [kind.kind, kind.leaseMs]));
      const [claimed]: [CallRow[], number] = await this.dataSource.query(CLAIM, [[...this.handlers.keys()], room, JSON.stringify(leases)]);
      for (const row of claimed) void this.track(this.run(row));
      if (claimed.length < room) return;
    }
  }

  /** One attempt of one claimed call: call, then record its end in a transaction of its own. */
  private async run(row: CallRow): Promise<void> {
    const registered = this.handlers.get(row.kind);
    if (!registered) return;
    const { kind, handler } = registered;
    const call: OutboundCall<unknown> = {
      id: String(row.id),
      kind: row.kind,
      key: row.key,
      payload: row.payload,
      attempt: row.attempts,
      maxAttempts: kind.maxAttempts,
      firstCalledAt: new Date(row.first_called_at),
    };
    let result: unknown;
    let failure: Error | undefined;
    try {
      result = await handler.call(call);
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    try {
      await this.record(kind, handler, call, result, failure);
    } catch (error) {
      // the row stays `calling`: its lease runs out and the call is made (and recorded) again
      this.logger?.error({ err: error, kind: call.kind, key: call.key }, 'outbound call result not recorded; it will be made again');
    }
  }

  private async record(kind: CallKind<unknown>, handler: CallHandler<unknown, unknown>, call: OutboundCall<unknown>, result: unknown, failure?: Error) {
    const log = { kind: call.kind, key: call.key, attempt: call.attempt };
    await this.dataSource.transaction(async (manager) => {
      // the attempt guard: a slow attempt whose lease ran out (and was claimed again) records nothing
      const [mine]: { id: string }[] = await manager.query(
        `SELECT id FROM outbound_calls WHERE id = $1 AND status = 'calling' AND attempts = $2 FOR UPDATE`,
        [call.id, call.attempt],
      );
      if (!mine) return;
      const end = (status: string, outcome: string, error?: string) =>
        manager.query(`UPDATE outbound_calls SET status = $2, outcome = $3, last_error = $4, lease_until = NULL, updated_at = now() WHERE id = $1`, [
          call.id,
          status,
          outcome,
          error?.slice(0, 2000) ?? null,
        ]);
      if (!failure) {
        await handler.onResult(manager, call, result);
        await end('done', 'done');
        outcomes.inc({ kind: call.kind, outcome: 'done' });
      } else if (failure instanceof CallRefusedError) {
        await handler.onRefused?.(manager, call, failure);
        await end('done', 'refused', failure.message);
        outcomes.inc({ kind: call.kind, outcome: 'refused' });
        this.logger?.warn({ ...log, err: failure.message }, 'outbound call refused');
      } else if (call.attempt >= kind.maxAttempts) {
        await handler.onParked?.(manager, call, failure);
        await end('parked', 'parked', failure.message);
        outcomes.inc({ kind: call.kind, outcome: 'parked' });
        this.logger?.error({ ...log, err: failure.message }, 'outbound call parked after its last attempt');
      } else {
        const delayMs = kind.backoffMs(call.attempt);
        await handler.onRetry?.(manager, call, failure, delayMs);
        await manager.query(
          `UPDATE outbound_calls SET status = 'due', last_error = $2, lease_until = NULL, updated_at = now(),
                  next_attempt_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1`,
          [call.id, failure.message.slice(0, 2000), delayMs],
        );
        outcomes.inc({ kind: call.kind, outcome: 'retry' });
        this.logger?.warn({ ...log, err: failure.message }, 'outbound call failed; will try again');
      }
    });
  }
}
