export * from './infra';
export * from './app';
