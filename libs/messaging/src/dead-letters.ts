import type { DataSource } from 'typeorm';
import { newId } from '@ebb/contracts';
import { gauge } from '@ebb/observability';
import type { AmqpBroker } from './broker';
import { Headers } from './messaging-options';

export interface ParkedMessage {
  messageId: string;
  type: string;
  handler: string;
  queue: string;
  content: string;
  correlationId?: string;
  causationId?: string;
  error: string;
  attempts: number;
}

export interface DeadLetter extends ParkedMessage {
  id: string;
  parkedAt: string;
}

interface DeadLetterRow {
  id: string;
  message_id: string;
  type: string;
  handler: string;
  queue: string;
  content: string;
  correlation_id: string | null;
  causation_id: string | null;
  error: string;
  attempts: number;
  parked_at: Date;
}

const toDeadLetter = (row: DeadLetterRow): DeadLetter => ({
  id: row.id,
  messageId: row.message_id,
  type: row.type,
  handler: row.handler,
  queue: row.queue,
  content: row.content,
  correlationId: row.correlation_id ?? undefined,
  causationId: row.causation_id ?? undefined,
  error: row.error,
  attempts: row.attempts,
  parkedAt: row.parked_at.toISOString(),
});

const encodeCursor = (letter: DeadLetter) => Buffer.from(JSON.stringify([letter.parkedAt, letter.id])).toString('base64url');

/** The position a cursor names; a cursor this list never gave is the caller's mistake. */
export class InvalidCursorError extends Error {}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return [at, id];
  } catch {
    // falls through
  }
  throw new InvalidCursorError('not a cursor of this list');
}

/**
 * Messages that failed every retry, kept in the service's database with their error until an
 * operator replays or discards them. Nothing is dropped silently.
 */
export class DeadLetterStore {
  private readonly waiting = gauge('dead_letters_waiting', 'Parked messages waiting for an operator');

  constructor(
    private readonly dataSource: DataSource,
    private readonly broker: AmqpBroker,
  ) {}

  async park(message: ParkedMessage): Promise<DeadLetter> {
    const [row] = await this.dataSource.query(
      `INSERT INTO dead_letters (id, message_id, type, handler, queue, content, correlation_id, causation_id, error, attempts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
      [
        newId('dl'),
        message.messageId,
        message.type,
        message.handler,
        message.queue,
        message.content,
        message.correlationId ?? null,
        message.causationId ?? null,
        message.error,
        message.attempts,
      ],
    );
    await this.refreshGauge();
    return toDeadLetter(row);
  }

  /**
   * Newest first, paged by keyset on (parked_at, id): a page starts strictly after the last item of
   * the previous one, so a message parked or replayed meanwhile never makes a page skip or repeat.
   * `after` is that item's position (from `nextCursor`), or its id (the older `before` parameter).
   */
  async list(limit = 100, after?: { cursor?: string; before?: string }): Promise<{ items: DeadLetter[]; nextCursor: string | null }> {
    let position: [string, string] | null = after?.cursor ? decodeCursor(after.cursor) : null;
    if (!position && after?.before) {
      const [row]: DeadLetterRow[] = await this.dataSource.query(`SELECT parked_at, id FROM dead_letters WHERE id = $1`, [after.before]);
      // an id no longer parked (replayed, discarded) has no position: its page is empty rather than wrong
      if (!row) return { items: [], nextCursor: null };
      position = [row.parked_at.toISOString(), row.id];
    }
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT * FROM dead_letters WHERE ($2::timestamptz IS NULL OR (parked_at, id) < ($2::timestamptz, $3::text))
        ORDER BY parked_at DESC, id DESC LIMIT $1`,
      [limit + 1, position?.[0] ?? null, position?.[1] ?? null],
    );
    const page = rows.slice(0, limit).map(toDeadLetter);
    return { items: page, nextCursor: rows.length > limit ? encodeCursor(page.at(-1)!) : null };
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const [row] = await this.dataSource.query(`SELECT * FROM dead_letters WHERE id = $1`, [id]);
    return row ? toDeadLetter(row) : undefined;
  }

  /**
   * Sends the message back to its queue as a first delivery, then forgets it: the row is claimed
   * (committed), the broker confirms the send with no transaction open, then the row is deleted. A
   * failed send lets the claim go, so it stays parked; a crash between the send and the delete can
   * send it twice, which the consumers' inbox makes harmless. A claim older than a minute is stale.
   */
  async replay(id: string): Promise<DeadLetter | undefined> {
    const [[row]]: [DeadLetterRow[], number] = await this.dataSource.query(
      `UPDATE dead_letters SET replaying_at = now() WHERE id = $1 AND (replaying_at IS NULL OR replaying_at < now() - interval '1 minute') RETURNING *`,
      [id],
    );
    if (!row) return undefined;
    try {
      await this.broker.sendToQueue(row.queue, Buffer.from(row.content), {
        messageId: row.message_id,
        type: row.type,
        correlationId: row.correlation_id ?? undefined,
        contentType: 'application/json',
        persistent: true,
        headers: {
          [Headers.correlationId]: row.correlation_id ?? undefined,
          [Headers.causationId]: row.causation_id ?? undefined,
          [Headers.attempt]: 0,
          'x-replayed-from': row.id,
        },
      });
    } catch (error) {
      await this.dataSource.query(`UPDATE dead_letters SET replaying_at = NULL WHERE id = $1`, [id]);
      throw error;
    }
    await this.dataSource.query(`DELETE FROM dead_letters WHERE id = $1`, [id]);
    await this.refreshGauge();
    return toDeadLetter(row);
  }

  async discard(id: string): Promise<boolean> {
    const [, count] = await this.dataSource.query(`DELETE FROM dead_letters WHERE id = $1`, [id]);
    await this.refreshGauge();
    return count > 0;
  }

  async refreshGauge(): Promise<void> {
    const [row] = await this.dataSource.query(`SELECT count(*)::int AS waiting FROM dead_letters`);
    this.waiting.set(row.waiting);
  }
}
