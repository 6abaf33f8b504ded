import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { idSchema } from '@ebb/contracts';
import { CurrentPrincipal, type Principal, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
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
  get(@CurrentPrincipal() caller: Principal, @ZodParams(paymentParams) params: z.infer<typeof paymentParams>) {
    return this.payments.get(caller, params.id);
  }

  @Get()
  list(@CurrentPrincipal() caller: Principal, @ZodQuery(listQuery) query: z.infer<typeof listQuery>) {
    return this.payments.listForOrder(caller, query.orderId);
  }
}
