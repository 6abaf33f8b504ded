import { loadConfigOrExit } from '@ebb/config';
import { startService } from '@ebb/service';
import { AppModule } from './app.module';
import { paymentEnvSchema } from './config';

const env = loadConfigOrExit(paymentEnvSchema);
void startService(AppModule.forRoot(env), env);
