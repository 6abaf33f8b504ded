import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { crashPoint } from '@ebb/config';
import { FAST_BUCKETS, gauge, histogram } from '@ebb/observability';
import type { AmqpBroker } from './broker';
import { DrainLoop } from './drain-loop';
import { OUTBOX_NOTIFY_CHANNEL, outboxCommits, outboxNotifyToken, relayHere } from './outbox-signal';

export interface RelayOptions {
  /** the relay keeps one connection of its own: it LISTENs there and publishes batches from it */
  databaseUrl: string;
  batchSize: number;
  pollMs: number;
  /** the longest the relay lets new commits gather before the next batch, under load (default 10 ms) */
  coalesceMs?: number;
  /** how long published rows may wait before they are deleted, many in one statement (default 200 ms) */
  deleteAfterMs?: number;
  logger?: Logger;
}

interface OutboxRow {
  id: string;
  message_id: string;
  routing_key: string;
  payload: string;
  correlation_id: string;
  causation_id: string | null;
  occurred_at: Date;
}

const MAX_COALESCE_MS = 10;
const DELETE_AFTER_MS = 200;
/** published rows kept for one DELETE at most: past this they are deleted at once */
const MAX_UNDELETED = 2000;
/** The session advisory lock that makes one relay per database the one that publishes. */
const RELAY_LOCK = `hashtext('ebb:outbox-relay')`;

/**
 * Publishes committed outbox rows with publisher confirms, then deletes them. Woken at once by
 * commits in its own process, by LISTEN/NOTIFY for commits elsewhere, and by a polling fallback.
 * One relay per database publishes: the one whose connection holds a session advisory lock (the
 * others try again on every wake, and take over within a poll when its connection goes). It reads
 * with no transaction and no row lock, and deletes what it published a moment later, many rows in
 * one statement (`deleteAfterMs`): publishing costs no write transaction of its own, and deleting
 * one per 200 ms. A crash after the broker confirmed and before the delete publishes those rows
 * again: consumers are idempotent (inbox), so that changes nothing.
 */
export class OutboxRelay {
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private unsubscribe?: () => void;
  private unregister?: () => void;
  private lastBatchSize = 0;
  private leader = false;
  /** published, not yet deleted: never published again by this relay */
  private readonly undeleted = new Set<string>();
  private deleteDueAt = 0;
  private readonly pending = gauge('outbox_pending_events', 'Outbox rows not yet published');
  private readonly lag = gauge('outbox_lag_seconds', 'Age of the oldest unpublished outbox row');
  private readonly delay = histogram(
    'outbox_publish_delay_seconds',
    'Time from the outbox write to the broker confirm',
    [],
    FAST_BUCKETS,
  );

  private readonly loop = new DrainLoop(() => this.drainPass(), {
    onError: (error) => this.options.logger?.warn({ err: (error as Error).message }, 'outbox batch not published; will retry'),
    // commits that arrive while a batch is out are gathered for a moment into the next one
    // (1 ms per row of the last batch, up to the cap: quiet traffic waits ~1 ms, heavy traffic
    // makes batches large enough that each round trip carries many events)
    beforeRerun: async () => {
      const coalesceMs = Math.min(this.options.coalesceMs ?? MAX_COALESCE_MS, this.lastBatchSize);
      if (coalesceMs > 0) await new Promise((resolve) => setTimeout(resolve, coalesceMs));
    },
  });

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: AmqpBroker,
    private readonly options: RelayOptions,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    this.loop.resume();
    this.unsubscribe = outboxCommits(this.dataSource).onCommit(() => void this.wake());
    this.unregister = relayHere(this.dataSource, () => this.leader && !this.stopped);
    await this.listen();
    this.schedulePoll();
    this.wake();
  }

  /** Stops waking up and waits for the batch in flight, so nothing is left half published. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unregister?.();
    clearTimeout(this.timer);
    await this.loop.stop();
    await this.deletePublished().catch((error) => this.options.logger?.warn({ err: (error as Error).message }, 'published outbox rows not deleted; the next relay publishes them again'));
    const listener = this.listener;
    this.listener = undefined;
    this.leader = false;
    await listener?.end().catch(() => undefined);
  }

  /** Publishes everything pending now (also used by graceful shutdown and tests). */
  wake(): Promise<void> {
    return this.loop.wake();
  }

  private async drainPass(): Promise<void> {
    while ((this.lastBatchSize = await this.publishBatch()) === this.options.batchSize) {
      // a full batch means more may be waiting
    }
    if (this.undeleted.size > 0 && (Date.now() >= this.deleteDueAt || this.undeleted.size >= MAX_UNDELETED)) await this.deletePublished();
  }

  /** Whether this relay is the one that publishes: it holds the lock on its own connection, or takes it now. */
  private async lead(client: Client): Promise<boolean> {
    if (this.leader) return true;
    const { rows } = await client.query(`SELECT pg_try_advisory_lock(${RELAY_LOCK}) AS leader`);
    this.leader = rows[0].leader === true;
    if (this.leader) this.options.logger?.info('outbox relay: this process publishes');
    return this.leader;
  }

  /**
   * Reads one batch not yet published (no transaction: only the leader reads), publishes it with
   * confirms, and remembers it for the delete.
   */
  private async publishBatch(): Promise<number> {
    const client = this.listener ?? (await this.listen());
    if (!client) throw new Error('no database connection for the relay');
    if (!(await this.lead(client))) return 0;
    const { rows } = (await client.query({
      name: 'outbox-relay-batch',
      text: `SELECT id, message_id, routing_key, payload::text AS payload, correlation_id, causation_id, occurred_at
               FROM outbox WHERE id <> ALL($1::bigint[]) ORDER BY id LIMIT $2`,
      values: [[...this.undeleted], Math.trunc(this.options.batchSize)],
    })) as { rows: OutboxRow[] };
    if (rows.length === 0) return 0;
    crashPoint('relay.before-publish');
    this.broker.corkPublishes();
    await Promise.all(
      rows.map((row) =>
        this.broker.publish(row.routing_key, Buffer.from(row.payload), {
          messageId: row.message_id,
          type: row.routing_key,
          correlationId: row.correlation_id,
          causationId: row.causation_id ?? undefined,
          occurredAt: row.occurred_at.toISOString(),
        }),
      ),
    );
    crashPoint('relay.after-publish');
    if (this.undeleted.size === 0) {
      const after = this.options.deleteAfterMs ?? DELETE_AFTER_MS;
      this.deleteDueAt = Date.now() + after;
      setTimeout(() => void this.wake(), after + 1).unref();
    }
    for (const row of rows) this.undeleted.add(String(row.id));
    const now = Date.now();
    for (const row of rows) this.delay.observe((now - row.occurred_at.getTime()) / 1000);
    return rows.length;
  }

  /** Deletes the rows published so far, in one statement (losing it in a crash only publishes them again). */
  private async deletePublished(): Promise<void> {
    const client = this.listener;
    if (this.undeleted.size === 0 || !client) return;
    const ids = [...this.undeleted];
    await client.query({ name: 'outbox-relay-delete', text: `DELETE FROM outbox WHERE id = ANY($1::bigint[])`, values: [ids] });
    for (const id of ids) this.undeleted.delete(id);
  }

  private schedulePoll(): void {
    if (this.stopped) return;
    this.timer = setTimeout(async () => {
      await this.wake();
      await this.measure().catch(() => undefined);
      if (!this.listener) await this.listen();
      this.schedulePoll();
    }, this.options.pollMs);
    this.timer.unref();
  }

  private async measure(): Promise<void> {
    // rows this relay published and has not deleted yet are not pending
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(occurred_at)), 0)::float8 AS lag
         FROM outbox WHERE id <> ALL($1::bigint[])`,
      [[...this.undeleted]],
    );
    this.pending.set(row.pending);
    this.lag.set(row.lag);
  }

  /** The relay's own connection: it LISTENs and runs the batches; if it drops, the next poll reconnects. */
  private async listen(): Promise<Client | undefined> {
    if (this.stopped) return undefined;
    const client = new Client({ connectionString: this.options.databaseUrl, application_name: 'outbox-relay' });
    // a NOTIFY of this data source's own commit: the commit signal has woken the relay already
    const own = outboxNotifyToken(this.dataSource);
    client.on('notification', (notification) => {
      if (notification.payload !== own) void this.wake();
    });
    client.on('error', (error) => {
      this.options.logger?.warn({ err: error.message }, 'outbox LISTEN connection lost');
      if (this.listener === client) {
        this.listener = undefined;
        // the lock went with the connection: another relay may publish now
        this.leader = false;
      }
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      // the relay's connection writes only its deletes: losing one in a database crash publishes those rows again
      await client.query(`SET synchronous_commit = off; LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      this.listener = client;
      return client;
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, `outbox LISTEN failed; polling every ${this.options.pollMs} ms`);
      await client.end().catch(() => undefined);
      return undefined;
    }
  }
}
