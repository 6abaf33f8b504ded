import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { crashPoint } from '@ebb/config';
import { FAST_BUCKETS, gauge, histogram } from '@ebb/observability';
import type { AmqpBroker } from './broker';
import { DrainLoop } from './drain-loop';
import { OUTBOX_NOTIFY_CHANNEL, outboxCommits, outboxNotifyToken } from './outbox-signal';

export interface RelayOptions {
  /** the relay keeps one connection of its own: it LISTENs there and publishes batches from it */
  databaseUrl: string;
  batchSize: number;
  pollMs: number;
  /** the longest the relay lets new commits gather before the next batch, under load (default 10 ms) */
  coalesceMs?: number;
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

/**
 * Publishes committed outbox rows with publisher confirms, then deletes them. Woken at once by
 * commits in its own process, by LISTEN/NOTIFY for commits elsewhere, and by a polling fallback.
 * Several relays may run at once because each batch is claimed with `FOR UPDATE SKIP LOCKED`. A crash after the broker confirmed and before the delete
 * publishes the batch again: consumers are idempotent, so that changes nothing.
 */
export class OutboxRelay {
  private listener?: Client;
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private unsubscribe?: () => void;
  private lastBatchSize = 0;
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
    await this.listen();
    this.schedulePoll();
    this.wake();
  }

  /** Stops waking up and waits for the batch in flight, so nothing is left half published. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    clearTimeout(this.timer);
    await this.loop.stop();
    const listener = this.listener;
    this.listener = undefined;
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
  }

  /**
   * Claims one batch, publishes it with confirms and deletes it, all in one transaction on the
   * relay's own connection (a busy pool must not delay publishing).
   */
  private async publishBatch(): Promise<number> {
    const client = this.listener ?? (await this.listen());
    if (!client) throw new Error('no database connection for the relay');
    // two round trips a batch: claim (with BEGIN) and delete (with COMMIT), as simple multi-statement
    // queries; only integers of our own are spliced in. Losing the unsynchronised commit in a database
    // crash only publishes the batch again, which consumers absorb.
    try {
      const claimed = (await client.query(
        `BEGIN; SET LOCAL synchronous_commit = off;
         SELECT id, message_id, routing_key, payload::text AS payload, correlation_id, causation_id, occurred_at
           FROM outbox ORDER BY id LIMIT ${Math.trunc(this.options.batchSize)} FOR UPDATE SKIP LOCKED`,
      )) as unknown as { rows: OutboxRow[] }[];
      const { rows } = claimed[claimed.length - 1];
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
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
      const ids = rows.map((row) => BigInt(row.id)).join(',');
      await client.query(`DELETE FROM outbox WHERE id IN (${ids}); COMMIT`);
      const now = Date.now();
      for (const row of rows) this.delay.observe((now - row.occurred_at.getTime()) / 1000);
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
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
    const [row] = await this.dataSource.query(
      `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(occurred_at)), 0)::float8 AS lag FROM outbox`,
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
      if (this.listener === client) this.listener = undefined;
      client.end().catch(() => undefined);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      this.listener = client;
      return client;
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, `outbox LISTEN failed; polling every ${this.options.pollMs} ms`);
      await client.end().catch(() => undefined);
      return undefined;
    }
  }
}
