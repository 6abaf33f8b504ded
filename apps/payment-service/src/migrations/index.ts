import { Payments1764200000000 } from './payments-1764200000000';
import { PaymentsOnePerOrder1764200000200 } from './payments-one-per-order-1764200000200';
import { ProviderRefundCalls1764200000100 } from './provider-refund-calls-1764200000100';
import { RefundsOutsideEbb1765600000000 } from './refunds-outside-ebb-1765600000000';

/** payment-service's own migrations, in order (the libraries' tables come first, see serviceMigrations). */
export const paymentMigrations: Function[] = [Payments1764200000000, ProviderRefundCalls1764200000100, PaymentsOnePerOrder1764200000200, RefundsOutsideEbb1765600000000];
