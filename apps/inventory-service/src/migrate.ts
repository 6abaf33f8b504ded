import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { migrateAndExit } from '@ebb/persistence';
import { serviceDatabase } from '@ebb/service';
import { inventoryEnvSchema } from './config';
import { inventoryEntities } from './inventory.entities';
import { inventoryMigrations } from './migrations/inventory.migration';

const env = loadConfigOrExit(inventoryEnvSchema);
void migrateAndExit(serviceDatabase(env, { entities: inventoryEntities, migrations: inventoryMigrations }));
