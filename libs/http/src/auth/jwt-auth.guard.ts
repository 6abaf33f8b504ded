import { CanActivate, ExecutionContext, Inject, Injectable, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@ebb/observability';
import type { Request } from 'express';
import { HttpErrorCode, httpError } from '../errors/error-codes';
import { type CallerSecrets, bearerToken, verifyCaller } from './jwt';
import { ROLES_KEY, type Principal, type Role } from './roles';

/** Injection token of the HS256 secrets callers are verified with (`EBB_JWT_SECRET`, `EBB_SERVICE_SECRET`): a CallerSecrets. */
export const JWT_SECRET = Symbol('ebb:jwt-secret');

/** A request after the guard: the verified caller, absent on public routes. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

/**
 * Every route needs a valid bearer token unless marked `Public()`; `@Roles(...)` narrows who may call.
 * No, bad or expired token → 401 `unauthorized`; a role not allowed → 403 `forbidden`.
 */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(JWT_SECRET) private readonly secrets: CallerSecrets,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    // message consumers and other transports authenticate their own way
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.header('authorization'));
    if (!token) throw httpError(HttpErrorCode.Unauthorized, 'A bearer token is required.');
    const principal = verifyCaller(token, this.secrets);
    request.principal = principal;

    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (roles && !roles.includes(principal.role)) {
      throw httpError(HttpErrorCode.Forbidden, `This action needs one of the roles: ${roles.join(', ')}.`);
    }
    return true;
  }
}

/** The verified caller of the request (undefined on a public route). */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, context: ExecutionContext): Principal | undefined => context.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
