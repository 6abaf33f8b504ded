export * from './job-kind';
export * from './jobs';
export * from './jobs.migration';
export * from './jobs.module';
