import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/** Opaque ids: a short prefix that says what it names, then a random UUID (`ref_3f2c…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomUUID().replace(/-/g, '')}`;
}

/** What any id in a URL or body must look like: short, printable, no spaces. */
export const idSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may hold only letters, digits and _ . : -');
