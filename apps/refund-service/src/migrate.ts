import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { migrateAndExit } from '@ebb/persistence';
import { serviceDatabase } from '@ebb/service';
import { refundEnvSchema } from './config';
import { refundEntities, refundMigrations } from './migrations';

const env = loadConfigOrExit(refundEnvSchema);
void migrateAndExit(serviceDatabase(env, { entities: refundEntities, migrations: refundMigrations }));
