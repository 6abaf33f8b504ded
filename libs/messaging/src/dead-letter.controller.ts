import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { z } from 'zod';
import { isoTimeSchema as isoTime } from '@ebb/contracts';
import { Answers, Refuses, Roles, ZodQuery, defineErrors, httpError, HttpErrorCode } from '@ebb/http';
import { type DeadLetter, DeadLetterStore, InvalidCursorError } from './dead-letters';

const MAX_PAGE = 500;

/** The refusals of these routes beside the shared ones. */
export const deadLetterError = defineErrors({ dead_letter_not_found: 404 });

const notFound = (id: string) => deadLetterError('dead_letter_not_found', `no parked message ${id}`);

const pageSize = `must be an integer from 1 to ${MAX_PAGE}`;
// not strict: a query key it does not know is left alone, as it always was
const listQuery = z.object({
  limit: z.coerce.number({ error: pageSize }).int(pageSize).min(1, pageSize).max(MAX_PAGE, pageSize).default(100),
  /** `nextCursor` of the previous page */
  cursor: z.string().optional().describe('`nextCursor` of the previous page'),
  /** the older way to page: the id of the last item of the previous page */
  before: z.string().optional().describe('the older way to page: the id of the last item of the previous page'),
});


/** A parked message as the admin routes answer it: the schema is the OpenAPI document's answer. */
export const deadLetterViewSchema = z.strictObject({
  id: z.string(),
  messageId: z.string(),
  type: z.string().describe('the event type'),
  handler: z.string().describe('the handler that failed on it'),
  queue: z.string().describe('where a replay sends it'),
  content: z.string().describe('the message body as it arrived (JSON text)'),
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
  error: z.string().describe("the last attempt's error"),
  attempts: z.number().int(),
  parkedAt: isoTime,
});
export type DeadLetterView = z.infer<typeof deadLetterViewSchema>;

export const deadLetterListSchema = z.strictObject({
  items: z.array(deadLetterViewSchema),
  nextCursor: z.string().nullable().describe('the `cursor` of the next page; null on the last one'),
});

export const replayedDeadLetterSchema = deadLetterViewSchema.extend({ status: z.literal('replayed') });

// The store builds these answers (toDeadLetter): tsc refuses this file as soon as its DeadLetter and the
// schema differ in a key, a type, an optional or a nullable key.
type Same<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;
type Assert<T extends true> = T;
export type DeadLetterIsItsView = Assert<Same<DeadLetter, DeadLetterView>>;

/** Operators list, replay and discard this service's parked messages. */
@Roles('admin')
@Controller('v1/admin/dead-letters')
export class DeadLetterController {
  constructor(private readonly store: DeadLetterStore) {}

  /** Newest first. */
  @Get()
  @Answers({ 200: deadLetterListSchema })
  async list(@ZodQuery(listQuery) query: z.output<typeof listQuery>): Promise<z.infer<typeof deadLetterListSchema>> {
    try {
      return await this.store.list(query.limit, { cursor: query.cursor, before: query.before });
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
      throw httpError(HttpErrorCode.ValidationError, 'The request query is invalid.', [{ field: 'cursor', message: 'is not a cursor of this list' }]);
    }
  }

  @Get(':id')
  @Answers({ 200: deadLetterViewSchema })
  @Refuses(deadLetterError, 'dead_letter_not_found')
  async get(@Param('id') id: string): Promise<DeadLetterView> {
    const found = await this.store.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Sends the message back to its queue as a first delivery and forgets it. */
  @Post(':id/replay')
  @HttpCode(200)
  @Answers({ 200: replayedDeadLetterSchema })
  @Refuses(deadLetterError, 'dead_letter_not_found')
  async replay(@Param('id') id: string): Promise<z.infer<typeof replayedDeadLetterSchema>> {
    const replayed = await this.store.replay(id);
    if (!replayed) throw notFound(id);
    return { ...replayed, status: 'replayed' };
  }

  @Delete(':id')
  @HttpCode(204)
  @Answers({ 204: null })
  @Refuses(deadLetterError, 'dead_letter_not_found')
  async discard(@Param('id') id: string): Promise<void> {
    if (!(await this.store.discard(id))) throw notFound(id);
  }
}
