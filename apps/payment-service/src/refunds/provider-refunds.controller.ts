import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
import { PaymentErrorCode as E, paymentError } from '../payments/payment-errors';
import { providerRefundListSchema, providerRefundSyncSchema, providerRefundViewSchema } from './provider-refund.view';
import { ProviderRefundOperations } from './provider-refund-operations';
import { PROVIDER_REFUND_STATUSES } from './provider-refund-state';

const listQuery = z.strictObject({
  status: z.enum(PROVIDER_REFUND_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(500).optional(),
});
const refundParams = z.strictObject({ refundId: idSchema });
const resolveBody = z.strictObject({
  outcome: z.enum(['succeeded', 'failed']),
  providerRefundId: z.string().trim().min(1).max(255).optional(),
  note: z.string().trim().min(1, 'must say what the provider showed').max(2000),
});

/** Provider refunds for operators: the list (`?status=outcome_unknown` is what needs a person), a look-up now, a resolution by hand. */
@Roles('admin')
@Controller('v1/admin/provider-refunds')
export class ProviderRefundsController {
  constructor(private readonly operations: ProviderRefundOperations) {}

  @Get()
  @Answers({ 200: providerRefundListSchema })
  list(@ZodQuery(listQuery) query: z.output<typeof listQuery>) {
    return this.operations.list(query);
  }

  @Post(':refundId/sync')
  @HttpCode(200)
  @Answers({ 200: providerRefundSyncSchema })
  @Refuses(paymentError, E.ProviderRefundNotFound, E.ProviderUnavailable)
  sync(@ZodParams(refundParams) { refundId }: { refundId: string }) {
    return this.operations.sync(refundId);
  }

  @Post(':refundId/resolve')
  @HttpCode(200)
  @Answers({ 200: providerRefundViewSchema })
  @Refuses(paymentError, E.ProviderRefundNotFound, E.ProviderRefundNotUnknown)
  resolve(@ZodParams(refundParams) { refundId }: { refundId: string }, @ZodBody(resolveBody) body: z.output<typeof resolveBody>, @CurrentPrincipal() principal: Principal) {
    return this.operations.resolve(refundId, body, `${principal.role}:${principal.sub}`);
  }
}
