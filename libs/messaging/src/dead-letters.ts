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

  async list(limit = 100, before?: string): Promise<DeadLetter[]> {
    const rows: DeadLetterRow[] = await this.dataSource.query(
      `SELECT * FROM dead_letters WHERE ($2::text IS NULL OR id < $2) ORDER BY parked_at DESC, id DESC LIMIT $1`,
      [limit, before ?? null],
    );
    return rows.map(toDeadLetter);
  }

  async get(id: string): Promise<DeadLetter | undefined> {
    const [row] = await this.dataSource.query(`SELECT * FROM dead_letters WHERE id = $1`, [id]);
    return row ? toDeadLetter(row) : undefined;
  }

  /**
   * Sends the message back to its queue as a first delivery, then forgets it. The row is deleted in
   * the transaction that waits for the broker's confirm, so a failed send leaves it parked.
   */
  async replay(id: string): Promise<DeadLetter | undefined> {
    const replayed = await this.dataSource.transaction(async (manager) => {
      // a DELETE through TypeORM answers [rows, count]
      const [[row]]: [DeadLetterRow[], number] = await manager.query(`DELETE FROM dead_letters WHERE id = $1 RETURNING *`, [id]);
      if (!row) return undefined;
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
      return toDeadLetter(row);
    });
    await this.refreshGauge();
    return replayed;
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
