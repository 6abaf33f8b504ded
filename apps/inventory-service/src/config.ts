import { serviceEnvSchema } from '@ebb/config';

/** inventory-service needs only the settings every service has (HTTP 3004, database `ebb_inventory`). */
export const inventoryEnvSchema = serviceEnvSchema('inventory', 3004);

export type InventoryEnv = ReturnType<typeof inventoryEnvSchema.parse>;
