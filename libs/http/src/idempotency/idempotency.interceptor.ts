import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor, Optional, SetMetadata } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { LOGGER } from '@ebb/observability';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { Observable, catchError, mergeMap } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import { renderError } from '../errors/error-body';
import { HttpErrorCode, httpError } from '../errors/error-codes';
import { requestHash } from './canonical-json';
import { IdempotencyStore } from './idempotency.store';
import { IdempotencyClaimLostError, type IdempotentRequest, runIdempotent } from './idempotent-effect';
import { ReplayedResponse } from './replayed-response';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

const VALID_KEY = /^[\x20-\x7e]{1,255}$/;

/** The key of a request: 1–255 printable ASCII characters, else 400 `idempotency_key_invalid`. */
export function parseIdempotencyKey(header: string | string[]): string {
  const key = Array.isArray(header) ? header.join(', ') : header;
  if (!VALID_KEY.test(key)) {
    throw httpError(HttpErrorCode.IdempotencyKeyInvalid, 'Idempotency-Key must be 1 to 255 printable ASCII characters.');
  }
  return key;
}

const CLAIM_KEY_WITH_EFFECT = 'ebb:claim-key-with-effect';

/**
 * A route whose every effect records its key (`recordIdempotentEffect` in the effect's transaction)
 * claims the key there, not in a transaction of its own before the handler: one write transaction
 * less per request. Concurrent first uses of one key may then each run the handler, but only one
 * effect commits (the others roll back and answer as a repeat would).
 */
export const ClaimKeyWithEffect = () => SetMetadata(CLAIM_KEY_WITH_EFFECT, true);

/**
 * Every POST carrying `Idempotency-Key` runs at most once per key, caller and path: a repeat with the
 * same body gets the first answer again (a 4xx refusal too). The handler runs with the claim in its
 * context, so its effect's transaction ties the key to the effect (`recordIdempotentEffect`). A
 * temporary refusal (busy, 503) or a 5xx before any effect lets the key go, so a retry runs again;
 * after an effect, a failure is answered from the effect.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (request.method !== 'POST' || header === undefined) return next.handle();

    const key = parseIdempotencyKey(header);
    // the concrete path, not the route pattern: one key on two refunds' /approve is two requests
    const scope = `${request.method} ${request.path} ${request.principal?.sub ?? ''}`;
    const successStatus: number = Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) ?? HttpStatus.CREATED;
    const claimWithEffect = Reflect.getMetadata(CLAIM_KEY_WITH_EFFECT, context.getHandler()) === true;
    const hash = requestHash(request.body);
    const decision = await this.store.begin(scope, key, hash, successStatus, claimWithEffect);
    if (decision.kind === 'replay') throw new ReplayedResponse(decision.status, decision.body);
    const idempotent: IdempotentRequest = { scope, key, token: decision.token, requestHash: hash, successStatus, claimed: decision.claimed, answered: false };

    const handled = new Observable<unknown>((subscriber) => runIdempotent(idempotent, () => next.handle().subscribe(subscriber)));
    return handled.pipe(
      mergeMap(async (body) => {
        // stored before the answer leaves, so a client that saw it and retries finds it (unless the effect's transaction stored it)
        if (!idempotent.answered) await this.store.complete(idempotent, response.statusCode, body);
        return body;
      }),
      catchError(async (error: unknown) => {
        const rendered = renderError(error);
        let another = false;
        try {
          if (!idempotent.claimed) {
            // nothing of this request is stored: its refusal is the answer, unless another request with the key made its effect first
            another = error instanceof IdempotencyClaimLostError || (!rendered.temporary && !(await this.store.complete(idempotent, rendered.status, rendered.body)));
          } else {
            // a refusal is the answer, unless it is temporary or an effect was made (then the effect is the answer)
            if (!rendered.temporary) await this.store.complete(idempotent, rendered.status, rendered.body);
            await this.store.release(scope, key, idempotent.token);
          }
        } catch (storeError) {
          this.logger?.error({ err: storeError, scope, key }, 'could not record the outcome of an idempotent request');
        }
        if (another) {
          // answered as a repeat would be: the other request's answer, a wait for it, or 409 idempotency_key_reused
          const again = await this.store.begin(scope, key, hash, successStatus, true);
          if (again.kind === 'replay') throw new ReplayedResponse(again.status, again.body);
        }
        throw error;
      }),
    );
  }
}
