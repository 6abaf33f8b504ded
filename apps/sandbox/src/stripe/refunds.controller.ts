import { Controller, Get, Param, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { RefundsService } from './refunds.service';
import { StripeRequestService } from './stripe-request.service';

/** Stripe's `/v1/refunds`: create, retrieve, and the list reconciliation pages through. */
@Controller('v1/refunds')
export class RefundsController {
  constructor(
    private readonly stripe: StripeRequestService,
    private readonly refunds: RefundsService,
  ) {}

  @Post()
  create(@Req() req: Request, @Res() res: Response) {
    return this.stripe.respond(req, res, (params) => this.refunds.create(params));
  }

  @Get()
  list(@Req() req: Request, @Res() res: Response) {
    return this.stripe.respond(req, res, (params) => this.refunds.list(params));
  }

  @Get(':id')
  retrieve(@Req() req: Request, @Res() res: Response, @Param('id') id: string) {
    return this.stripe.respond(req, res, () => this.refunds.retrieve(id));
  }
}
