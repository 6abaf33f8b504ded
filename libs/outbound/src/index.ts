export * from './outbound.migration';
export * from './outbound-call';
export * from './outbound-calls';
export * from './outbound.module';
