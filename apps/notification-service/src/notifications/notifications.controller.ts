import { Controller, Get } from '@nestjs/common';
import { DataSource, type FindOptionsWhere, IsNull, Not } from 'typeorm';
import { z } from 'zod';
import { idSchema, isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodParams, ZodQuery } from '@ebb/http';
import { Notification } from './notification.entity';
import { NotificationErrorCode, notificationError } from './notification-errors';

const listQuery = z.strictObject({ orderId: idSchema.optional(), refundId: idSchema.optional() });
const idParams = z.object({ id: idSchema });

/** The most rows one list returns, oldest first. */
const LIST_LIMIT = 500;


/** A notification as api-v1 shows it: no body, `sending` shown as `queued`; the last error only to staff. */
export const notificationViewSchema = z.strictObject({
  id: z.string(),
  channel: z.enum(['email', 'webhook']),
  template: z.string(),
  recipient: z.string(),
  status: z.enum(['queued', 'sent', 'failed']),
  orderId: z.string(),
  refundId: z.string().optional(),
  attempts: z.number().int(),
  createdAt: isoTime,
  sentAt: isoTime.optional(),
  lastError: z.string().optional().describe('the last failure, to staff only'),
});
export type NotificationView = z.infer<typeof notificationViewSchema>;
const notificationListSchema = z.strictObject({ items: z.array(notificationViewSchema) });

/** An order's notification as api-v1 shows it (mails to sellers have their own list: SellerNotificationsController). */
function view(n: Notification & { orderId: string }, caller: Principal): NotificationView {
  return {
    id: n.id,
    channel: n.channel,
    template: n.template,
    recipient: n.recipient,
    status: n.status === 'sending' ? 'queued' : n.status,
    orderId: n.orderId,
    ...(n.refundId ? { refundId: n.refundId } : {}),
    attempts: n.attempts,
    createdAt: n.createdAt.toISOString(),
    ...(n.sentAt ? { sentAt: n.sentAt.toISOString() } : {}),
    ...(n.lastError && caller.role !== 'customer' ? { lastError: n.lastError } : {}),
  };
}

/** The notification log: support, admins and services see all of it; a customer only their own. */
@Roles('customer', 'support', 'admin', 'service')
@Controller('v1/notifications')
export class NotificationsController {
  constructor(private readonly dataSource: DataSource) {}

  @Get()
  @Answers({ 200: notificationListSchema })
  async list(@ZodQuery(listQuery) query: z.infer<typeof listQuery>, @CurrentPrincipal() caller: Principal) {
    // the notifications of orders and their customers; mails to sellers are listed by seller
    const where: FindOptionsWhere<Notification> = { orderId: Not(IsNull()) };
    if (query.orderId) where.orderId = query.orderId;
    if (query.refundId) where.refundId = query.refundId;
    if (caller.role === 'customer') where.customerId = caller.sub;
    const rows = await this.dataSource.getRepository(Notification).find({
      where,
      order: { createdAt: 'ASC', id: 'ASC' },
      take: LIST_LIMIT,
    });
    return { items: rows.map((row) => view(row as Notification & { orderId: string }, caller)) };
  }

  @Get(':id')
  @Answers({ 200: notificationViewSchema })
  @Refuses(notificationError, NotificationErrorCode.NotFound)
  async get(@ZodParams(idParams) { id }: z.infer<typeof idParams>, @CurrentPrincipal() caller: Principal) {
    const row = await this.dataSource.getRepository(Notification).findOneBy({ id });
    // another customer's notification is as absent as a missing one
    if (!row || row.orderId === null || (caller.role === 'customer' && row.customerId !== caller.sub)) {
      throw notificationError(NotificationErrorCode.NotFound, `No notification ${id}.`);
    }
    return view(row as Notification & { orderId: string }, caller);
  }
}
