import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { startService } from '@ebb/service';
import { AppModule } from './app.module';
import { inventoryEnvSchema } from './config';

const env = loadConfigOrExit(inventoryEnvSchema);
void startService(AppModule.forRoot(env), env);
