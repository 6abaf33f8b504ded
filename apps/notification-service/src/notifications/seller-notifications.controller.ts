import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, Roles, ZodParams, ZodQuery, decodeCursor, keysetPage, nextCursorSchema, pageQueryFields } from '@ebb/http';

const sellerParams = z.strictObject({ sellerId: idSchema });
const listQuery = z.strictObject({ ...pageQueryFields() });

/** A mail to a seller (policy changes), as support sees it: no body. */
export const sellerNotificationViewSchema = z.strictObject({
  id: z.string(),
  channel: z.enum(['email', 'webhook']),
  template: z.string(),
  recipient: z.string(),
  subject: z.string(),
  status: z.enum(['queued', 'sent', 'failed']),
  sellerId: z.string(),
  attempts: z.number().int(),
  createdAt: isoTime,
  sentAt: isoTime.optional(),
  lastError: z.string().optional(),
});
type SellerNotificationView = z.infer<typeof sellerNotificationViewSchema>;
const sellerNotificationListSchema = z.strictObject({ items: z.array(sellerNotificationViewSchema), nextCursor: nextCursorSchema });

interface Row {
  id: string;
  channel: 'email' | 'webhook';
  template: string;
  recipient: string;
  subject: string;
  status: 'queued' | 'sending' | 'sent' | 'failed';
  seller_id: string;
  attempts: number;
  created_at: Date;
  sent_at: Date | null;
  last_error: string | null;
  /** created_at to the microsecond, for the cursor */
  position: string;
}

const view = (row: Row): SellerNotificationView => ({
  id: row.id,
  channel: row.channel,
  template: row.template,
  recipient: row.recipient,
  subject: row.subject,
  status: row.status === 'sending' ? 'queued' : row.status,
  sellerId: row.seller_id,
  attempts: row.attempts,
  createdAt: row.created_at.toISOString(),
  ...(row.sent_at ? { sentAt: row.sent_at.toISOString() } : {}),
  ...(row.last_error ? { lastError: row.last_error } : {}),
});

/** The mails written to one seller, oldest first, in pages (staff and other services). */
@Controller('v1/sellers/:sellerId/notifications')
@Roles('support', 'admin', 'service')
export class SellerNotificationsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Answers({ 200: sellerNotificationListSchema })
  async list(@ZodParams(sellerParams) { sellerId }: { sellerId: string }, @ZodQuery(listQuery) query: z.output<typeof listQuery>) {
    const [at, id] = query.cursor ? (decodeCursor(query.cursor, ['string', 'string']) as string[]) : [null, null];
    const rows: Row[] = await this.dataSource.query(
      `SELECT id, channel, template, recipient, subject, status, seller_id, attempts, created_at, sent_at, last_error,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS position FROM notifications
        WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) > ($2::timestamptz, $3::text))
        ORDER BY created_at, id LIMIT $4`,
      [sellerId, at, id, query.limit + 1],
    );
    return keysetPage(rows, query.limit, view, (row) => [row.position, row.id]);
  }
}
