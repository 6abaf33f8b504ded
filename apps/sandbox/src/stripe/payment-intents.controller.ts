import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PaymentIntentsService } from './payment-intents.service';
import { StripeRequestService } from './stripe-request.service';

/** Stripe's `/v1/payment_intents` subset the SDK calls: create, retrieve, list, confirm, cancel. */
@Controller('v1/payment_intents')
export class PaymentIntentsController {
  constructor(
    private readonly stripe: StripeRequestService,
    private readonly intents: PaymentIntentsService,
  ) {}

  @Post()
  create(@Req() req: Request, @Res() res: Response) {
    return this.stripe.respond(req, res, (params) => this.intents.create(params));
  }

  @Get()
  list(@Req() req: Request, @Res() res: Response) {
    return this.stripe.respond(req, res, (params) => this.intents.list(params));
  }

  @Get(':id')
  retrieve(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.stripe.respond(req, res, () => this.intents.retrieve(id));
  }

  @Post(':id/confirm')
  confirm(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.stripe.respond(req, res, (params) => this.intents.confirm(id, params));
  }

  @Post(':id/cancel')
  cancel(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.stripe.respond(req, res, (params) => this.intents.cancel(id, params));
  }
}
