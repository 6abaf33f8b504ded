export * from './errors/api-error';
export * from './auth/roles';
export { Public } from '@ebb/observability';
