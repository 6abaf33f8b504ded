export * from './service-platform';
export * from './start-service';
