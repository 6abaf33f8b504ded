import { type KeyObject, createSecretKey } from 'node:crypto';
import jwt, { type SignOptions } from 'jsonwebtoken';
import { HttpErrorCode, httpError } from '../errors/error-codes';
import { ROLES, type Principal, type Role } from './roles';

/** The only algorithm accepted: a token claiming another one (`none`, RS256 with our secret as key) is refused. */
export const JWT_ALGORITHM = 'HS256';

/** Signs a token for a caller (tests, tools, service-to-service calls). */
export function signToken(
  principal: Principal,
  secret: string,
  options: { expiresIn?: SignOptions['expiresIn'] } = {},
): string {
  return jwt.sign({ sub: principal.sub, role: principal.role }, secret, {
    algorithm: JWT_ALGORITHM,
    expiresIn: options.expiresIn ?? '1h',
  });
}

const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);

// jsonwebtoken turns a string secret into a key on every call, first by trying (and failing) to read it
// as a public key: a thrown error per request. The key object is made once per secret instead.
const keys = new Map<string, KeyObject>();
const keyFor = (secret: string) => {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  return key;
};

/** The principal of a valid token; 401 `unauthorized` for a bad signature, expiry, or claims we do not know. */
export function verifyToken(token: string, secret: string): Principal {
  let claims: string | jwt.JwtPayload;
  try {
    claims = jwt.verify(token, keyFor(secret), { algorithms: [JWT_ALGORITHM] });
  } catch {
    throw httpError(HttpErrorCode.Unauthorized, 'The bearer token is invalid or expired.');
  }
  if (typeof claims !== 'object' || typeof claims.sub !== 'string' || claims.sub === '' || !isRole(claims.role)) {
    throw httpError(HttpErrorCode.Unauthorized, 'The bearer token does not name a known caller and role.');
  }
  return { sub: claims.sub, role: claims.role };
}

/** The token of an `Authorization: Bearer <token>` header; undefined for none or another scheme. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer ([^\s]+)$/i.exec(authorization ?? '')?.[1];
}

/** The secrets a service verifies callers with: people's tokens, and other services' (`EBB_SERVICE_SECRET`). */
export interface CallerSecrets {
  /** signs customer, support and admin tokens (the shop's identity provider shares it) */
  jwtSecret: string;
  /** signs `service` tokens, and only those; the same as jwtSecret in local development unless set */
  serviceSecret: string;
}

/**
 * The caller of a token: people's roles verify with the JWT secret; `service` verifies only with the
 * service secret, so whoever holds the identity provider's secret cannot speak as a service.
 */
export function verifyCaller(token: string, secrets: CallerSecrets): Principal {
  let principal: Principal | undefined;
  try {
    principal = verifyToken(token, secrets.jwtSecret);
  } catch (error) {
    if (secrets.serviceSecret === secrets.jwtSecret) throw error;
  }
  if (principal && (principal.role !== 'service' || secrets.serviceSecret === secrets.jwtSecret)) return principal;
  const service = verifyToken(token, secrets.serviceSecret);
  if (service.role !== 'service') throw httpError(HttpErrorCode.Unauthorized, 'The bearer token is invalid or expired.');
  return service;
}

/** The refusal of a call: no or bad identity (`unauthenticated`), or one whose role may not make it (`forbidden`). */
export type IdentityRefusal = { refused: 'unauthenticated' | 'forbidden'; message: string };

/** Checks that a token (gRPC metadata, an internal call) names another service of Ebb; anything else is refused. */
export function checkServiceCaller(authorization: string | undefined, secrets: CallerSecrets): Principal | IdentityRefusal {
  const token = bearerToken(authorization);
  if (!token) return { refused: 'unauthenticated', message: 'a service token is required' };
  let principal: Principal;
  try {
    principal = verifyCaller(token, secrets);
  } catch {
    return { refused: 'unauthenticated', message: 'the service token is invalid or expired' };
  }
  if (principal.role !== 'service') return { refused: 'forbidden', message: `internal calls are for services, not ${principal.role} tokens` };
  return principal;
}

/** How long a service's own token lives; it is signed again well before it runs out. */
const SERVICE_TOKEN_SECONDS = 600;

/** This service's identity towards the others: a `service` token naming it, kept fresh. */
export class ServiceIdentity {
  private token = '';
  private renewAt = 0;

  constructor(
    readonly service: string,
    private readonly serviceSecret: string,
  ) {
    if (!serviceSecret) throw new Error('ServiceIdentity needs a non-empty service secret');
  }

  /** `Bearer <token>` for an Authorization header or gRPC metadata. */
  authorization(): string {
    const now = Date.now();
    if (now >= this.renewAt) {
      this.token = signToken({ sub: this.service, role: 'service' }, this.serviceSecret, { expiresIn: SERVICE_TOKEN_SECONDS });
      this.renewAt = now + (SERVICE_TOKEN_SECONDS * 1000) / 2;
    }
    return `Bearer ${this.token}`;
  }
}
