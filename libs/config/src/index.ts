export * from './config';
export * from './schemas';
export * from './crash-point';
export * from './sandbox-keys';
