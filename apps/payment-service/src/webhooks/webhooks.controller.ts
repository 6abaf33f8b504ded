import { Controller, HttpCode, Post, Req } from '@nestjs/common';
import { z } from 'zod';
import { Public, type RawBodyRequest, ZodParams } from '@ebb/http';
import { WebhooksService } from './webhooks.service';

const webhookParams = z.object({ provider: z.string().regex(/^[a-z]{1,32}$/, 'must name a provider') });

/** Providers call this with their own format and signature; no bearer token, the signature is the proof. */
@Public()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider')
  @HttpCode(200)
  receive(@ZodParams(webhookParams) params: z.infer<typeof webhookParams>, @Req() request: RawBodyRequest) {
    return this.webhooks.receive(params.provider, request.rawBody, request.headers);
  }
}
