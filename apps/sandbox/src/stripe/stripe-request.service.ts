import { Inject, Injectable } from '@nestjs/common';
import { canonicalJson } from '@ebb/http';
import { LOGGER } from '@ebb/observability';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { FaultsService } from '../faults/faults.service';
import { StripeError, StripeErrorCode } from './stripe-errors';
import { type Params, stripeId } from './stripe-params';

interface SavedAnswer {
  fingerprint: string;
  status: number;
  body: unknown;
}

const API_KEY = /^Bearer sk_test_[A-Za-z0-9_]+$/;

/**
 * What every Stripe API call goes through: the test secret key, the injected faults, and Stripe's
 * idempotency (a POST with a known `Idempotency-Key` and the same parameters gets the first answer
 * again; with other parameters, 400 idempotency_error).
 */
@Injectable()
export class StripeRequestService {
  private readonly answers = new Map<string, SavedAnswer>();

  constructor(
    private readonly faults: FaultsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Runs `handle` (synchronous, so two calls with one key never interleave) and writes its answer. */
  async respond(req: Request, res: Response, handle: (params: Params) => unknown): Promise<void> {
    res.setHeader('Request-Id', stripeId('req'));
    try {
      if (!API_KEY.test(req.header('authorization') ?? '')) {
        throw new StripeError(StripeErrorCode.ApiKeyInvalid, 'Invalid API Key provided: the sandbox takes any test secret key (sk_test_…) as a Bearer token.');
      }
      const { fail } = await this.faults.disturb();
      // an injected failure is not kept under the idempotency key: the SDK's retry gets a real answer
      if (fail) throw new StripeError(StripeErrorCode.InjectedFault, 'An unknown error occurred (injected by the sandbox).');

      const params = ((req.method === 'GET' ? req.query : req.body) ?? {}) as Params;
      const key = req.method === 'POST' ? req.header('idempotency-key') : undefined;
      const fingerprint = canonicalJson({ method: req.method, path: req.path, params });
      if (key) {
        const saved = this.answers.get(key);
        if (saved && saved.fingerprint !== fingerprint) {
          throw new StripeError(
            StripeErrorCode.IdempotencyParametersMismatch,
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        }
        if (saved) {
          res.setHeader('Idempotent-Replayed', 'true');
          res.status(saved.status).json(saved.body);
          return;
        }
      }
      let answer: SavedAnswer;
      try {
        answer = { fingerprint, status: 200, body: handle(params) };
      } catch (error) {
        if (!(error instanceof StripeError) || !error.replayable) throw error;
        answer = { fingerprint, status: error.status, body: error.toBody() };
      }
      if (key) this.answers.set(key, answer);
      res.status(answer.status).json(answer.body);
    } catch (error) {
      const known = error instanceof StripeError ? error : new StripeError(StripeErrorCode.InternalError, 'An unknown error occurred.');
      if (!(error instanceof StripeError)) this.logger.error({ err: error, url: req.originalUrl }, 'stripe call failed with an unexpected error');
      res.status(known.status).json(known.toBody());
    }
  }
}
