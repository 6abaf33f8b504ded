import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from 'zod';
import { Answers, ClaimKeyWithEffect, CurrentPrincipal, type Principal, Refuses, Roles, ZodBody, ZodParams, ZodQuery } from '@ebb/http';
import { OrderErrorCode as E, orderError } from './order-errors';
import {
  type CreateOrderInput,
  type ListOrdersQuery,
  type PriceErrorInput,
  priceErrorSchema,
  type ShipmentInput,
  createOrderSchema,
  listOrdersQuery,
  orderIdParams,
  shipmentSchema,
} from './order.schemas';
import { orderListSchema, orderResponseSchema, toOrderResponse } from './order.view';
import { OrdersService } from './orders.service';
import { PriceErrors } from './price-errors';

const priceErrorAnswerSchema = z.strictObject({
  orderId: z.string(),
  flagged: z.array(z.string()).describe('lines flagged by this request: the system refunds them'),
  alreadyFlagged: z.array(z.string()).describe('lines flagged before: refunded once already'),
});

/**
 * `/v1/orders` of api-v1: customers place and read their own orders; support, admin and services all.
 * Each write records its Idempotency-Key with its effect and answer, so the key is claimed there.
 */
@Controller('v1/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly priceErrors: PriceErrors,
  ) {}

  @Post()
  @ClaimKeyWithEffect()
  @HttpCode(201)
  // a customer placing an order for another is refused with the shared 403 `forbidden`
  @Answers({ 201: orderResponseSchema })
  @Roles('customer', 'support', 'admin', 'service')
  async create(@ZodBody(createOrderSchema) body: CreateOrderInput, @CurrentPrincipal() principal: Principal) {
    return toOrderResponse(await this.orders.create(body, principal));
  }

  @Get()
  // a customer listing another's orders is refused with the shared 403 `forbidden`
  @Answers({ 200: orderListSchema })
  @Roles('customer', 'support', 'admin', 'service')
  async list(@ZodQuery(listOrdersQuery) query: ListOrdersQuery, @CurrentPrincipal() principal: Principal) {
    return { items: (await this.orders.list(query, principal)).map(toOrderResponse) };
  }

  @Get(':id')
  @Answers({ 200: orderResponseSchema })
  @Refuses(orderError, E.NotFound)
  @Roles('customer', 'support', 'admin', 'service')
  async find(@ZodParams(orderIdParams) { id }: { id: string }, @CurrentPrincipal() principal: Principal) {
    return toOrderResponse(await this.orders.find(id, principal));
  }

  @Post(':id/shipments')
  @ClaimKeyWithEffect()
  @HttpCode(201)
  @Answers({ 201: orderResponseSchema })
  @Refuses(orderError, E.NotFound, E.NotShippable, E.RefundInProgress)
  @Roles('support', 'admin', 'service')
  async ship(@ZodParams(orderIdParams) { id }: { id: string }, @ZodBody(shipmentSchema) body: ShipmentInput) {
    return toOrderResponse(await this.orders.ship(id, body));
  }

  @Post(':id/delivery')
  @ClaimKeyWithEffect()
  @HttpCode(200)
  @Answers({ 200: orderResponseSchema })
  @Refuses(orderError, E.NotFound, E.NotDeliverable)
  @Roles('support', 'admin', 'service')
  async deliver(@ZodParams(orderIdParams) { id }: { id: string }) {
    return toOrderResponse(await this.orders.deliver(id));
  }

  /** Lines sold at a wrong price: the system refunds them (`initiator: system`, `reason: price_error`), each line once. */
  @Post(':id/price-error')
  @HttpCode(202)
  @Answers({ 202: priceErrorAnswerSchema })
  @Refuses(orderError, E.NotFound, E.NotRefundable)
  @Roles('admin')
  async flagPriceError(@ZodParams(orderIdParams) { id }: { id: string }, @ZodBody(priceErrorSchema) body: PriceErrorInput, @CurrentPrincipal() principal: Principal) {
    return this.priceErrors.flag(id, body, principal);
  }
}
