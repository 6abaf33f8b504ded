import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Answers, ClaimKeyWithEffect, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
import { RefundErrorCode as E, refundError } from './refund-errors';
import { refundListSchema, refundViewSchema } from './refund.view';
import { RefundActions } from './refund-actions';
import { RefundQueries } from './refund-queries';
import { RefundRequests } from './refund-requests';
import {
  type InspectionBody,
  type ListRefundsQuery,
  type RequestRefundBody,
  type ReturnReceivedBody,
  noteOnlySchema,
  inspectionSchema,
  listRefundsSchema,
  refundIdParams,
  rejectSchema,
  requestRefundSchema,
  returnReceivedSchema,
} from './refund.schemas';

/**
 * /v1/refunds of api-v1: parses and authorises; RefundRequests, RefundActions and RefundQueries decide.
 * Every write ends in `saveRefund`, whose transaction records the Idempotency-Key with the refund: the
 * key is claimed there (`@ClaimKeyWithEffect`), not in a transaction of its own.
 */
@Controller('v1/refunds')
export class RefundController {
  constructor(
    private readonly requests: RefundRequests,
    private readonly actions: RefundActions,
    private readonly queries: RefundQueries,
  ) {}

  @Post()
  @ClaimKeyWithEffect()
  @HttpCode(201)
  @Answers({ 201: refundViewSchema })
  @Refuses(refundError, E.OrderNotFound, E.OrderNotRefundable, E.AmountExceedsRefundable, E.QuantityExceedsOrdered, E.RefundWindowExpired, E.RefundInProgress, E.OrderServiceUnavailable, E.LockUnavailable)
  @Roles('customer', 'support', 'admin', 'service')
  request(@ZodBody(requestRefundSchema) body: RequestRefundBody, @CurrentPrincipal() principal: Principal) {
    return this.requests.request(body, principal);
  }

  @Get()
  @Answers({ 200: refundListSchema })
  @Roles('customer', 'support', 'admin', 'service')
  list(@ZodQuery(listRefundsSchema) query: ListRefundsQuery, @CurrentPrincipal() principal: Principal) {
    return this.queries.list(query, principal);
  }

  @Get(':id')
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound)
  @Roles('customer', 'support', 'admin', 'service')
  get(@ZodParams(refundIdParams) params: { id: string }, @CurrentPrincipal() principal: Principal) {
    return this.queries.get(params.id, principal);
  }

  @Post(':id/approve')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.LockUnavailable)
  @Roles('support', 'admin')
  approve(@ZodParams(refundIdParams) params: { id: string }, @ZodBody(noteOnlySchema) body: { note?: string }, @CurrentPrincipal() principal: Principal) {
    return this.actions.act(params.id, 'approve', principal, { note: body.note });
  }

  @Post(':id/reject')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.LockUnavailable)
  @Roles('support', 'admin')
  reject(@ZodParams(refundIdParams) params: { id: string }, @ZodBody(rejectSchema) body: { reason: string }, @CurrentPrincipal() principal: Principal) {
    return this.actions.act(params.id, 'reject', principal, { note: body.reason });
  }

  @Post(':id/cancel')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.LockUnavailable)
  @Roles('customer', 'support', 'admin')
  cancel(@ZodParams(refundIdParams) params: { id: string }, @CurrentPrincipal() principal: Principal) {
    return this.actions.act(params.id, 'cancel', principal);
  }

  @Post(':id/return-received')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.LockUnavailable)
  @Roles('support', 'admin')
  returnReceived(@ZodParams(refundIdParams) params: { id: string }, @ZodBody(returnReceivedSchema) body: ReturnReceivedBody, @CurrentPrincipal() principal: Principal) {
    return this.actions.act(params.id, 'receive_return', principal, { note: body.note, returned: body.items });
  }

  @Post(':id/inspection')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.LockUnavailable)
  @Roles('support', 'admin')
  inspection(@ZodParams(refundIdParams) params: { id: string }, @ZodBody(inspectionSchema) body: InspectionBody, @CurrentPrincipal() principal: Principal) {
    if (body.result === 'passed') return this.actions.act(params.id, 'pass_inspection', principal, { note: body.note });
    // the customer who sent the goods back is always told why the refund was refused
    return this.actions.act(params.id, 'fail_inspection', principal, { note: body.note ?? 'the returned goods did not pass inspection' });
  }

  @Post(':id/retry')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: refundViewSchema })
  // a failed refund gave its amount back, and a later refund may have taken it
  @Refuses(refundError, E.RefundNotFound, E.InvalidRefundTransition, E.AmountExceedsRefundable, E.LockUnavailable)
  @Roles('admin')
  retry(@ZodParams(refundIdParams) params: { id: string }, @CurrentPrincipal() principal: Principal) {
    return this.actions.retry(params.id, principal);
  }
}
