export * from './infra';
export * from './app';
export * from './platform';
