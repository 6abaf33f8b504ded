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
