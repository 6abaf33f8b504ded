export * from './infra';
export * from './app';
export * from './platform';
export * from './order-query-server';
export * from './sandbox';
export * from './bus';
export * from './orders';
export * from './catalogue';
