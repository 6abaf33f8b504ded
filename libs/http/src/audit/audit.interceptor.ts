import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor, Optional } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { Observable, catchError, mergeMap } from 'rxjs';
import { DataSource } from 'typeorm';
import { LOGGER } from '@ebb/observability';
import { isWrite, routeOf } from '../app/request-route';
import type { AuthenticatedRequest } from '../auth/jwt-auth.guard';
import type { Role } from '../auth/roles';
import { renderError } from '../errors/error-body';
import { ReplayedResponse } from '../idempotency/replayed-response';

const AUDITED_ROLES: ReadonlySet<Role> = new Set(['support', 'admin']);

/** How an audited action ended. `pending` stays only where the process died during it: the action may or may not have happened. */
export type AuditOutcome = 'pending' | 'succeeded' | 'refused' | 'replayed' | 'failed';

/** Text PostgreSQL can store: a NUL (which a caller may put in a path, `%00`) becomes U+FFFD, as in `\u0000` text it could not be kept. */
const storable = (text: string) => text.replace(/\u0000/g, '\uFFFD');

/** What the action was done to: the route's first parameter (a refund, SKU, product, dead letter), else the id it created. */
function targetOf(params: Record<string, string>, body: unknown): string | null {
  const first = Object.values(params)[0];
  if (first) return storable(first);
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? storable(id) : null;
}

/**
 * Records every write by support or admin in `audit_log`: a row when it starts (so an action whose
 * process dies half-way still shows, as `pending`), its outcome when it ends, whether it succeeded,
 * was refused (the error code with it), was answered from an earlier request with the same
 * Idempotency-Key, or failed. Reads and customers' and services' writes are not audited.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Optional() @Inject(LOGGER) private readonly logger?: Logger,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const principal = request.principal;
    if (!principal || !AUDITED_ROLES.has(principal.role) || !isWrite(request)) return next.handle();

    // the audit row is written before the request is validated: whatever the path holds must be storable
    const params = Object.fromEntries(Object.entries(request.params as Record<string, string>).map(([name, value]) => [name, storable(value)]));
    const [{ id }]: { id: string }[] = await this.dataSource.query(
      `INSERT INTO audit_log (actor, role, action, target, params, outcome) VALUES ($1, $2, $3, $4, $5::jsonb, 'pending') RETURNING id`,
      [principal.sub, principal.role, routeOf(request), targetOf(params, null), JSON.stringify(params)],
    );
    const end = async (outcome: AuditOutcome, status: number, code: string | null, body?: unknown) => {
      try {
        await this.dataSource.query(
          `UPDATE audit_log SET outcome = $2, status = $3, code = $4, target = COALESCE(target, $5), ended_at = now() WHERE id = $1`,
          [id, outcome, status, code, targetOf({}, body)],
        );
      } catch (error) {
        // the action stands; its audit row stays pending, which says exactly that its outcome was not recorded
        this.logger?.error({ err: error, auditId: id }, 'could not record the outcome of an audited action');
      }
    };
    const response = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      mergeMap(async (body) => {
        await end('succeeded', response.statusCode, null, body);
        return body;
      }),
      catchError(async (error: unknown) => {
        if (error instanceof ReplayedResponse) {
          await end('replayed', error.status, null, error.body);
        } else {
          const rendered = renderError(error);
          await end(rendered.status >= 500 ? 'failed' : 'refused', rendered.status, rendered.body.error.code);
        }
        throw error;
      }),
    );
  }
}
