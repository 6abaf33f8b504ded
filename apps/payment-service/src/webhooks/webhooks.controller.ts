import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { Answers, Public, type RawBodyRequest, Refuses, ZodParams } from '@ebb/http';
import { PaymentErrorCode as E, paymentError } from '../payments/payment-errors';
import { WebhooksService, webhookReceiptSchema } from './webhooks.service';

const webhookParams = z.object({ provider: z.string().regex(/^[a-z]{1,32}$/, 'must name a provider') });
/** the largest notification read when no JSON parser kept it (Alipay's are form-encoded) */
const MAX_FORM_BYTES = 256 * 1024;

/** The exact bytes of a body no parser read (a form): a signature is over those. */
async function readBody(request: RawBodyRequest): Promise<Buffer> {
  if (request.rawBody) return request.rawBody;
  if (request.readableEnded || request.body !== undefined) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Providers call this with their own format and signature; no bearer token, the signature is the proof. */
@Public()
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post(':provider')
  @HttpCode(200)
  // the body is the provider's own format, verified by its signature on the exact bytes: no schema of Ebb's;
  // Alipay is answered with the text `success` it waits for, the others with the receipt
  @Answers({ 200: webhookReceiptSchema })
  @Refuses(paymentError, E.ProviderNotSupported, E.InvalidSignature, E.InvalidWebhookEvent)
  async receive(@ZodParams(webhookParams) params: z.infer<typeof webhookParams>, @Req() request: RawBodyRequest, @Res({ passthrough: true }) response: Response) {
    const provider = this.webhooks.provider(params.provider);
    const receipt = await this.webhooks.receive(params.provider, await readBody(request), request.headers);
    if (!provider.acknowledgement) return receipt;
    response.type(provider.acknowledgement.contentType);
    return provider.acknowledgement.body;
  }
}
