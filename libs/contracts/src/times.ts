import { z } from 'zod';

/** A time as every answer of the API writes it: an ISO 8601 string in UTC (`toISOString()`). */
export const isoTimeSchema = z.string().describe('ISO 8601 UTC');
