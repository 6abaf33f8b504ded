import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { Answers, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams } from '@ebb/http';
import { RefundErrorCode as E, refundError } from '../refunds/refund-errors';
import { type CreateMigration, createMigrationSchema, migrationParams, migrationRunSchema, migrationSchema } from './policy-migration.schemas';
import { PolicyMigrations } from './policy-migrations';

/**
 * Moving shops onto per-product refund windows (admin; `npm run policy:migrate` drives these routes):
 * a dry run reports what it would do, an apply does it in batches and tells the sellers first, a
 * rollback undoes exactly what it did.
 */
@Controller('v1/admin/policy-migrations')
@Roles('admin')
export class PolicyMigrationController {
  constructor(private readonly migrations: PolicyMigrations) {}

  @Post()
  @HttpCode(201)
  @Answers({ 201: migrationRunSchema })
  @Refuses(refundError, E.PolicyMigrationInProgress)
  start(@ZodBody(createMigrationSchema) body: CreateMigration, @CurrentPrincipal() principal: Principal) {
    return this.migrations.start(body, principal);
  }

  @Get(':id')
  @Answers({ 200: migrationSchema })
  @Refuses(refundError, E.PolicyMigrationNotFound)
  get(@ZodParams(migrationParams) { id }: { id: string }) {
    return this.migrations.get(id);
  }

  @Post(':id/resume')
  @HttpCode(200)
  @Answers({ 200: migrationRunSchema })
  @Refuses(refundError, E.PolicyMigrationNotFound, E.InvalidMigrationTransition, E.PolicyMigrationInProgress)
  resume(@ZodParams(migrationParams) { id }: { id: string }) {
    return this.migrations.resume(id);
  }

  @Post(':id/rollback')
  @HttpCode(200)
  @Answers({ 200: migrationRunSchema })
  @Refuses(refundError, E.PolicyMigrationNotFound, E.InvalidMigrationTransition, E.PolicyMigrationInProgress)
  rollBack(@ZodParams(migrationParams) { id }: { id: string }, @CurrentPrincipal() principal: Principal) {
    return this.migrations.rollBack(id, principal);
  }
}
