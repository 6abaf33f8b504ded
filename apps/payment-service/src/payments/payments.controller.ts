import { Controller, Get, HttpCode, Post } from '@nestjs/common';
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
  create(@CurrentPrincipal() caller: Principal, @ZodBody(createPaymentBody) body: z.infer<typeof createPaymentBody>) {
    return this.payments.create(caller, body.orderId, body.provider);
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
