import { Product } from './products/product.entity';
import { AppliedRefund } from './reservations/applied-refund.entity';
import { InventoryOrder } from './reservations/inventory-order.entity';
import { OrderLine } from './reservations/order-line.entity';
import { Reservation } from './reservations/reservation.entity';
import { Seller } from './sellers/seller.entity';
import { Stock } from './stock/stock.entity';

/** Every table inventory-service maps; the app and `migrate.ts` open the database with the same list. */
export const inventoryEntities = [Product, Stock, InventoryOrder, OrderLine, Reservation, AppliedRefund, Seller];
