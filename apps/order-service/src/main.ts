import { loadConfigOrExit } from '@ebb/config';
import { startService } from '@ebb/service';
import { AppModule } from './app.module';
import { orderEnvSchema } from './config';

const env = loadConfigOrExit(orderEnvSchema);
// OrderQuery (gRPC) starts with the application: see OrderQueryServer
void startService(AppModule.forRoot(env), env);
