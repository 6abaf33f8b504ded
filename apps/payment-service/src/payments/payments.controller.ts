import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
import { PaymentErrorCode as E, paymentError } from './payment-errors';
import { paymentListSchema, paymentViewSchema, startedPaymentSchema } from './payment.entity';
import { PROVIDER_NAMES } from '../providers/payment-provider';
import { PaymentsService } from './payments.service';

const createPaymentBody = z.strictObject({
  orderId: idSchema,
  provider: z.enum(PROVIDER_NAMES).default('stripe'),
});
const paymentParams = z.object({ id: idSchema });
const listQuery = z.strictObject({ orderId: idSchema });

@Roles('customer', 'support', 'admin', 'service')
@Controller('v1/payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Post()
  @HttpCode(201)
  // 200: the order's payment already in flight, answered again
  @Answers({ 201: startedPaymentSchema, 200: startedPaymentSchema })
  @Refuses(paymentError, E.OrderNotFound, E.OrderNotPayable, E.ProviderNotSupported, E.ProviderRefused, E.ProviderUnavailable, E.OrderServiceUnavailable)
  async create(
    @CurrentPrincipal() caller: Principal,
    @ZodBody(createPaymentBody) body: z.infer<typeof createPaymentBody>,
    @Res({ passthrough: true }) response: Response,
  ) {
    const { created, payment } = await this.payments.create(caller, body.orderId, body.provider);
    // the order's payment already in flight is answered, not made again
    if (!created) response.status(200);
    return payment;
  }

  @Get(':id')
  @Answers({ 200: paymentViewSchema })
  @Refuses(paymentError, E.PaymentNotFound)
  get(@CurrentPrincipal() caller: Principal, @ZodParams(paymentParams) params: z.infer<typeof paymentParams>) {
    return this.payments.get(caller, params.id);
  }

  @Get()
  // an order with no payments (or none of the caller's) is an empty list, not a refusal
  @Answers({ 200: paymentListSchema })
  list(@CurrentPrincipal() caller: Principal, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    return this.payments.listForOrder(caller, query.orderId);
  }
}
