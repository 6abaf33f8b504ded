import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { startService } from '@ebb/service';
import { AppModule } from './app.module';
import { notificationEnvSchema } from './config';

const env = loadConfigOrExit(notificationEnvSchema);
void startService(AppModule.forRoot(env), env);
