import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ZodBody } from '@ebb/http';
import { type Faults, FaultsService, faultsSchema } from './faults.service';

/** Test control of the faults: `POST` sets them (what it leaves out is off), `DELETE` clears all. */
@Controller('__sandbox/faults')
export class FaultsController {
  constructor(private readonly faults: FaultsService) {}

  @Get()
  show(): Faults {
    return this.faults.active;
  }

  @Post()
  @HttpCode(200)
  set(@ZodBody(faultsSchema) body: Partial<Faults>): Faults {
    return this.faults.set(body);
  }

  @Delete()
  reset(): Faults {
    return this.faults.reset();
  }
}
