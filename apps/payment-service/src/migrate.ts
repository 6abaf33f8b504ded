import { loadConfigOrExit } from '@ebb/config';
import { migrateAndExit } from '@ebb/persistence';
import { serviceDatabase } from '@ebb/service';
import { paymentEntities } from './app.module';
import { paymentEnvSchema } from './config';
import { paymentMigrations } from './migrations';

const env = loadConfigOrExit(paymentEnvSchema);
void migrateAndExit(serviceDatabase(env, { entities: paymentEntities, migrations: paymentMigrations }));
