import { loadConfigOrExit } from '@ebb/config';
import { migrateAndExit } from '@ebb/persistence';
import { serviceDatabase } from '@ebb/service';
import { orderMigrations } from './app.module';
import { orderEnvSchema } from './config';
import { orderEntities } from './orders/order.entity';

const env = loadConfigOrExit(orderEnvSchema);
void migrateAndExit(serviceDatabase(env, { entities: orderEntities, migrations: orderMigrations }));
