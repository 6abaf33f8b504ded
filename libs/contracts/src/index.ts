export * from './money';
export * from './ids';
export * from './events';
export * from './refund-vocabulary';
export * from './domain-events';
export * from './order-query';
export * from './times';
export * from './locales';
