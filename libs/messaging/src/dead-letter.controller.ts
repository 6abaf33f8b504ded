import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiError, Roles } from '@ebb/http';
import { DeadLetterStore, InvalidCursorError } from './dead-letters';

const MAX_PAGE = 500;

const notFound = (id: string) => new ApiError(404, 'dead_letter_not_found', `no parked message ${id}`);

/** Operators list, replay and discard this service's parked messages. */
@Roles('admin')
@Controller('v1/admin/dead-letters')
export class DeadLetterController {
  constructor(private readonly store: DeadLetterStore) {}

  @Get()
  async list(@Query('limit') limit?: string, @Query('before') before?: string, @Query('cursor') cursor?: string) {
    const size = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) {
      throw new ApiError(400, 'validation_error', 'limit must be an integer from 1 to 500', [
        { field: 'limit', message: `must be an integer from 1 to ${MAX_PAGE}` },
      ]);
    }
    try {
      return await this.store.list(size, { cursor, before });
    } catch (error) {
      if (!(error instanceof InvalidCursorError)) throw error;
      throw new ApiError(400, 'validation_error', 'The request query is invalid.', [{ field: 'cursor', message: 'is not a cursor of this list' }]);
    }
  }

  @Get(':id')
  async get(@Param('id') id: string) {
    const found = await this.store.get(id);
    if (!found) throw notFound(id);
    return found;
  }

  @Post(':id/replay')
  @HttpCode(200)
  async replay(@Param('id') id: string) {
    const replayed = await this.store.replay(id);
    if (!replayed) throw notFound(id);
    return { ...replayed, status: 'replayed' };
  }

  @Delete(':id')
  @HttpCode(204)
  async discard(@Param('id') id: string) {
    if (!(await this.store.discard(id))) throw notFound(id);
  }
}
