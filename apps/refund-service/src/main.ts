import 'reflect-metadata';
import { loadConfigOrExit } from '@ebb/config';
import { startService } from '@ebb/service';
import { AppModule } from './app.module';
import { refundEnvSchema } from './config';

const env = loadConfigOrExit(refundEnvSchema);
void startService(AppModule.forRoot(env), env);
