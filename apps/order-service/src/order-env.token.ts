/** Injection token of the parsed environment (`OrderEnv`). */
export const ORDER_ENV = Symbol('ebb:order-env.token');
