export * from './service-platform';
export * from './start-service';
export * from './order-query';
