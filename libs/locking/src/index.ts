export * from './lock.constants';
export * from './lock-errors';
export * from './redis-clients';
export * from './fencing-token';
export * from './fencing-tokens.migration';
export * from './fencing-check';
export * from './lock.service';
export * from './locking.module';
