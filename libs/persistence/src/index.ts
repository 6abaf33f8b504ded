export * from './database';
export * from './money.transformer';
export * from './persistence.module';
export * from './commit-signal';
export * from './write-back';
export * from './transaction-guard';
export * from './prepared';
export * from './pipelined-begin';
