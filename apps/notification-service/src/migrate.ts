import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { migrateAndExit } from '@ebb/persistence';
import { serviceDatabase } from '@ebb/service';
import { notificationEnvSchema } from './config';
import { notificationDatabase } from './database';

void migrateAndExit(serviceDatabase(loadConfigOrExit(notificationEnvSchema), notificationDatabase));
