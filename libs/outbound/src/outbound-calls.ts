import { AsyncResource } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';
import type { Logger } from 'pino';
import { DrainLoop } from '@ebb/messaging';
import { counter, gauge } from '@ebb/observability';
import { runStatement, statement } from '@ebb/persistence';
import {
  CallRefusedError,
  type CallKind,
  type ClaimedCall,
  HandedOver,
  type OutboundCall,
  RECORDED_DUE,
  outboundCommits,
  runningKinds,
  tunedLeases,
} from './outbound-call';

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

/** An attempt's end, waiting to be recorded with others that ended meanwhile (group commit). */
interface Ending {
  kind: CallKind<unknown>;
  handler: CallHandler<unknown, unknown>;
  call: OutboundCall<unknown>;
  result: unknown;
  failure?: Error;
  recorded: () => void;
}

/** The most attempts' ends recorded in one transaction. */
const MAX_ENDINGS = 50;

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

/**
 * The async context calls are made and their ends recorded in: the one of this module's loading,
 * where no request is being handled. A call handed over, woken or claimed while some request is
 * handled must not inherit that request's context: the ends of calls recorded together would write
 * into one request's Idempotency-Key the effects of others (each request stores its own answer).
 */
const LOOP_CONTEXT = new AsyncResource('ebb.outbound-calls');

const CLAIM = statement(
  'outbound-claim',
  `
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
  RETURNING c.id, c.kind, c.key, c.payload, c.attempts, c.first_called_at`,
);
// the attempt guard and the end in one statement: a slow attempt whose lease ran out (and was claimed
// again) matches no row and records nothing; a retry is due again after its delay ($6 ms)
const END_CALL = statement(
  'outbound-end',
  `UPDATE outbound_calls SET status = $3, outcome = coalesce($4, outcome), last_error = $5, lease_until = NULL, updated_at = now(),
          next_attempt_at = CASE WHEN $6::float8 IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $6::float8 / 1000) END
    WHERE id = $1 AND attempts = $2 AND status = 'calling'`,
);

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
  /** calls committed claimed for this loop (`claim: 'on-commit'`), made before any other is claimed */
  private handedOver: { row: ClaimedCall; before: number }[] = [];
  /**
   * Whether calls may wait in the table that this loop does not know of: a poll, a call recorded due,
   * calls given back, or a claim that filled its room. A call handed over, or one that ended, needs
   * no claim round trip of its own.
   */
  private mayBeDue = true;
  private endings: Ending[] = [];
  private recording = false;

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
    tunedLeases.set(kind.kind, tuned.leaseMs);
    return this;
  }

  start(): void {
    if (this.handlers.size === 0 || !this.stopped) return;
    this.stopped = false;
    this.loop.resume();
    running.add(this);
    for (const kind of this.handlers.keys()) runningKinds.set(kind, (runningKinds.get(kind) ?? 0) + 1);
    this.unsubscribe = outboundCommits(this.dataSource.manager).onCommit((values) => {
      const overflow: string[] = [];
      for (const value of values) {
        if (value === RECORDED_DUE) this.mayBeDue = true;
        if (!(value instanceof HandedOver)) continue;
        const { call } = value;
        const handler = this.handlers.get(call.kind);
        if (!handler) continue;
        // no room now: due again at once, for whichever loop has room first (`calling` means under way)
        if (this.inFlight.size + this.handedOver.length >= this.options.concurrency) overflow.push(call.id);
        // made only well inside its lease: one queued longer is left to the lease, so no replica makes it twice
        else this.handedOver.push({ row: call, before: Date.now() + handler.kind.leaseMs / 2 });
      }
      if (overflow.length > 0) void this.giveBack(overflow);
      setImmediate(() => this.wake());
    });
    this.timer = setInterval(() => {
      this.mayBeDue = true;
      this.wake();
    }, this.options.pollMs);
    this.timer.unref();
    this.mayBeDue = true;
    this.wake();
  }

  /** Claims no more calls, and waits for those in flight to record their results. */
  async stop(): Promise<void> {
    if (!this.stopped) for (const kind of this.handlers.keys()) runningKinds.set(kind, (runningKinds.get(kind) ?? 1) - 1);
    this.stopped = true;
    running.delete(this);
    this.unsubscribe?.();
    clearInterval(this.timer);
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
    await this.giveBack(this.handedOver.splice(0).map(({ row }) => row.id));
  }

  /** Calls handed over to this loop that it will not make: any loop may make them now, as if never claimed. */
  private async giveBack(ids: string[]): Promise<void> {
    if (ids.length === 0 || !this.dataSource.isInitialized) return;
    await this.dataSource
      .query(`UPDATE outbound_calls SET status = 'due', attempts = attempts - 1, lease_until = NULL, updated_at = now() WHERE id = ANY($1::bigint[]) AND status = 'calling' AND attempts = 1`, [ids])
      .catch((error) => this.logger?.warn({ err: (error as Error).message }, 'calls handed over not given back; their leases run out'));
    // once they are due in the table (not before: a claim between would miss them), this loop may take them when it has room
    this.mayBeDue = true;
    this.wake();
  }

  wake(): void {
    if (!this.stopped) void this.loop.wake();
  }

  /**
   * Makes a call this process claimed when it recorded it, now (the fast path of a request): the
   * result is recorded before this resolves. Never throws: a failure is scheduled like any other.
   */
  async runClaimed(claimed: ClaimedCall | undefined): Promise<void> {
    if (claimed) await this.track(this.run(claimed));
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
      let room = this.options.concurrency - this.inFlight.size;
      if (this.stopped || room <= 0 || !this.dataSource.isInitialized) return;
      for (let next = this.handedOver.shift(); next && room > 0; next = room > 0 ? this.handedOver.shift() : undefined) {
        if (next.before < Date.now()) continue;
        void this.track(this.run(next.row));
        room--;
      }
      if (room <= 0 || !this.mayBeDue) return;
      this.mayBeDue = false;
      const leases = Object.fromEntries([...this.handlers.values()].map(({ kind }) => [kind.kind, kind.leaseMs]));
      const [claimed]: [ClaimedCall[], number] = await runStatement(this.dataSource, CLAIM, [[...this.handlers.keys()], room, JSON.stringify(leases)]);
      for (const row of claimed) void this.track(this.run(row));
      if (claimed.length < room) return;
      this.mayBeDue = true; // the room filled: more may wait
    }
  }

  /** One attempt of one claimed call, in the loop's own context (LOOP_CONTEXT), whoever asked for it. */
  private run(row: ClaimedCall): Promise<void> {
    return LOOP_CONTEXT.runInAsyncScope(() => this.attempt(row));
  }

  /** One attempt of one claimed call: call, then record its end in a transaction of its own. */
  private async attempt(row: ClaimedCall): Promise<void> {
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
    await new Promise<void>((recorded) => {
      this.endings.push({ kind, handler, call, result, failure, recorded });
      this.recordEndings();
    });
  }

  /**
   * Records the ends of attempts in one transaction, with those that ended while the previous one
   * was being written (group commit: one commit for many calls under load, at once when quiet). If
   * the transaction fails, each is recorded alone, so one bad handler holds up no other.
   */
  private recordEndings(): void {
    if (this.recording || this.endings.length === 0) return;
    this.recording = true;
    const batch = this.endings.splice(0, MAX_ENDINGS);
    void (async () => {
      try {
        await this.record(batch);
      } catch {
        for (const ending of batch) {
          await this.record([ending]).catch((error) =>
            // the row stays `calling`: its lease runs out and the call is made (and recorded) again
            this.logger?.error({ err: error, kind: ending.call.kind, key: ending.call.key }, 'outbound call result not recorded; it will be made again'),
          );
        }
      } finally {
        for (const ending of batch) ending.recorded();
        this.recording = false;
        this.recordEndings();
      }
    })();
  }

  private async record(batch: Ending[]): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      // rows locked in id order, so two recorders never wait on each other crosswise
      for (const ending of [...batch].sort((a, b) => Number(a.call.id) - Number(b.call.id))) await this.end(manager, ending);
    });
  }

  /** Records one attempt's end, then lets its handler act on it in the same transaction (only if the attempt is still the call's live one). */
  private async end(manager: EntityManager, { kind, handler, call, result, failure }: Ending): Promise<void> {
    const log = { kind: call.kind, key: call.key, attempt: call.attempt };
    const end = async (status: 'done' | 'parked' | 'due', outcome: 'done' | 'refused' | 'parked' | null, error?: string, delayMs?: number) => {
      const [, ended]: [unknown, number] = await runStatement(manager, END_CALL, [call.id, call.attempt, status, outcome, error?.slice(0, 2000) ?? null, delayMs ?? null]);
      return ended === 1;
    };
    if (!failure) {
      if (!(await end('done', 'done'))) return;
      await handler.onResult(manager, call, result);
      outcomes.inc({ kind: call.kind, outcome: 'done' });
    } else if (failure instanceof CallRefusedError) {
      if (!(await end('done', 'refused', failure.message))) return;
      await handler.onRefused?.(manager, call, failure);
      outcomes.inc({ kind: call.kind, outcome: 'refused' });
      this.logger?.warn({ ...log, err: failure.message }, 'outbound call refused');
    } else if (call.attempt >= kind.maxAttempts) {
      if (!(await end('parked', 'parked', failure.message))) return;
      await handler.onParked?.(manager, call, failure);
      outcomes.inc({ kind: call.kind, outcome: 'parked' });
      this.logger?.error({ ...log, err: failure.message }, 'outbound call parked after its last attempt');
    } else {
      const delayMs = kind.backoffMs(call.attempt);
      if (!(await end('due', null, failure.message, delayMs))) return;
      await handler.onRetry?.(manager, call, failure, delayMs);
      outcomes.inc({ kind: call.kind, outcome: 'retry' });
      this.logger?.warn({ ...log, err: failure.message }, 'outbound call failed; will try again');
    }
  }
}
