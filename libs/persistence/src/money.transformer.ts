import type { ValueTransformer } from 'typeorm';

/**
 * A `bigint` column holding minor units, read back as a JS number; refuses what a number
 * cannot hold exactly rather than rounding money.
 */
export const minorUnitsTransformer: ValueTransformer = {
  to: (value: number | null | undefined) => {
    if (value === null || value === undefined) return value;
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not a whole number of minor units`);
    return String(value);
  },
  from: (value: string | null) => {
    if (value === null) return value;
    const parsed = Number(value);
    if (!Number.isSafeInteger(parsed)) throw new Error(`${value} exceeds the safe integer range`);
    return parsed;
  },
};
