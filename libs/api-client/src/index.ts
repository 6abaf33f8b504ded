export * from './services';
export * from './api-client';
export * from './poll';
export * from './checkout';
export * from './ledger';
export * from './typed-client';
