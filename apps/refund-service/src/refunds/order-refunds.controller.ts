import { Controller, Get, Inject } from '@nestjs/common';
import { localeOr } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodParams, ZodQuery } from '@ebb/http';
import { OrderQueryClient } from '../orders/order-query.client';
import { nextStepOf } from './next-step';
import { RefundErrorCode as E, refundError } from './refund-errors';
import { RefundQueries } from './refund-queries';
import { type Page, orderRefundsParams, pageSchema } from './refund.schemas';
import { orderRefundListSchema, refundListItem } from './refund.view';
import { RefundTimers } from './refund-timers';

/**
 * The customer's own view of an order's refunds (api-v1 additions): each with what happens next, in
 * the order's language, and when Ebb promised it where it can know, so that nobody has to write to ask.
 */
@Controller('v1/orders/:orderId/refunds')
export class OrderRefundsController {
  constructor(
    private readonly queries: RefundQueries,
    private readonly timers: RefundTimers,
    @Inject(OrderQueryClient) private readonly orders: OrderQueryClient,
  ) {}

  @Get()
  @Answers({ 200: orderRefundListSchema })
  @Refuses(refundError, E.OrderNotFound, E.OrderServiceUnavailable)
  @Roles('customer', 'support', 'admin')
  async list(@ZodParams(orderRefundsParams) { orderId }: { orderId: string }, @ZodQuery(pageSchema) page: Page, @CurrentPrincipal() principal: Principal) {
    const order = await this.orders.getOrder(orderId);
    // another customer learns nothing of this order, not even that it exists
    if (principal.role === 'customer' && order.customerId !== principal.sub) throw refundError(E.OrderNotFound, `Order ${orderId} was not found.`);
    const locale = localeOr(order.locale);
    const { refunds, nextCursor } = await this.queries.ofOrder(orderId, page);
    const now = Date.now();
    return {
      items: refunds.map((refund) => {
        const expectedBy = refund.status === 'pending_review' && refund.autoApproveAt ? refund.autoApproveAt : this.timers.slaDeadlineOf(refund.createdAt);
        return { ...refundListItem(refund, now), nextStep: nextStepOf(refund.status, locale, expectedBy) };
      }),
      nextCursor,
    };
  }
}
