import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { z } from 'zod';
import { Answers, Public, type RawBodyRequest, Refuses, ZodParams } from '@ebb/http';
import { PaymentErrorCode as E, paymentError } from '../payments/payment-errors';
import { WebhooksService, webhookReceiptSchema } from './webhooks.service';

const webhookParams = z.object({ provider: z.string().regex(/^[a-z]{1,32}$/, 'must name a provider') });

/** Providers call this with their own format and signature; no bearer token, the signature is the proof. */
@Public()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider')
  @HttpCode(200)
  // the body is the provider's own format, verified by its signature on the exact bytes: no schema of Ebb's
  @Answers({ 200: webhookReceiptSchema })
  @Refuses(paymentError, E.ProviderNotSupported, E.InvalidSignature, E.InvalidWebhookEvent)
  receive(@ZodParams(webhookParams) params: z.infer<typeof webhookParams>, @Req() request: RawBodyRequest) {
    return this.webhooks.receive(params.provider, request.rawBody, request.headers);
  }
}
