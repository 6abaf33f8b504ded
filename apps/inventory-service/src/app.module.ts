import { type DynamicModule, Module } from '@nestjs/common';
import { platformImports } from '@ebb/service';
import type { InventoryEnv } from './config';
import { inventoryEntities } from './inventory.entities';
import { inventoryMigrations } from './migrations/inventory.migration';
import { ProductsController } from './products/products.controller';
import { ReservationConsumer } from './reservations/reservation.consumer';
import { SellersController } from './sellers/sellers.controller';
import { StockController } from './stock/stock.controller';

@Module({})
export class AppModule {
  static forRoot(env: InventoryEnv): DynamicModule {
    return {
      module: AppModule,
      imports: platformImports(env, { entities: inventoryEntities, migrations: inventoryMigrations }),
      controllers: [ProductsController, StockController, SellersController],
      providers: [ReservationConsumer],
    };
  }
}
