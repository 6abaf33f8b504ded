import { SetMetadata } from '@nestjs/common';

export const ROLES = ['customer', 'support', 'admin', 'service'] as const;
export type Role = (typeof ROLES)[number];

export const ROLES_KEY = 'ebb:roles';

/** Only callers whose token has one of these roles may use the route (403 otherwise). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** The verified caller, from the JWT's `sub` and `role`. */
export interface Principal {
  sub: string;
  role: Role;
}
