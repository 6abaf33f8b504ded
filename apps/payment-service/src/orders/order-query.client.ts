export { OrderNotFoundError, OrderQueryClient, OrderQueryUnavailableError } from '@ebb/service';
