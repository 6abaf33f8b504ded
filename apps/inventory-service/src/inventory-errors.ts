import { defineErrors } from '@ebb/http';

/** Every refusal inventory-service answers beyond the shared HTTP ones. */
export enum InventoryErrorCode {
  ProductExists = 'product_exists',
  ProductNotFound = 'product_not_found',
  SkuNotFound = 'sku_not_found',
  StockBelowReserved = 'stock_below_reserved',
  SellerNotFound = 'seller_not_found',
}

// naming the enum makes the map exhaustive: a new code without a status does not compile
export const inventoryError = defineErrors<InventoryErrorCode>({
  [InventoryErrorCode.ProductExists]: 409,
  [InventoryErrorCode.ProductNotFound]: 422,
  [InventoryErrorCode.SkuNotFound]: 404,
  [InventoryErrorCode.StockBelowReserved]: 409,
  [InventoryErrorCode.SellerNotFound]: 404,
});
