export * from './money';
export * from './ids';
export * from './events';
