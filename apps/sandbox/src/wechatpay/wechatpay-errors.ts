/** WeChat Pay v3's error codes the sandbox answers with, each with its HTTP status (`{code, message}` bodies). */
export enum WechatPayErrorCode {
  ParamError = 'PARAM_ERROR',
  InvalidRequest = 'INVALID_REQUEST',
  SignError = 'SIGN_ERROR',
  OrderNotExist = 'ORDER_NOT_EXIST',
  ResourceNotExists = 'RESOURCE_NOT_EXISTS',
  OrderPaid = 'ORDERPAID',
  OrderClosed = 'ORDER_CLOSED',
  NoStatementExist = 'NO_STATEMENT_EXIST',
  SystemError = 'SYSTEM_ERROR',
}

// exhaustive: a new code without its status does not compile
const STATUS: Record<WechatPayErrorCode, number> = {
  [WechatPayErrorCode.ParamError]: 400,
  [WechatPayErrorCode.InvalidRequest]: 400,
  [WechatPayErrorCode.SignError]: 401,
  [WechatPayErrorCode.OrderNotExist]: 404,
  [WechatPayErrorCode.ResourceNotExists]: 404,
  [WechatPayErrorCode.OrderPaid]: 400,
  [WechatPayErrorCode.OrderClosed]: 400,
  [WechatPayErrorCode.NoStatementExist]: 400,
  [WechatPayErrorCode.SystemError]: 500,
};

export class WechatPayError extends Error {
  readonly status: number;

  constructor(
    readonly code: WechatPayErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WechatPayError';
    this.status = STATUS[code];
  }

  toBody() {
    return { code: this.code, message: this.message };
  }
}
