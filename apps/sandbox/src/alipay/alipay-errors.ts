/**
 * Alipay's answers that are not a success, as its gateway words them: the common code and message,
 * and the API's own sub_code (ACQ.* for trades, isv.* for the caller's mistakes).
 */
export enum AlipaySubCode {
  UnknownError = 'isp.unknow-error',
  InvalidSignature = 'isv.invalid-signature',
  InvalidAppId = 'isv.invalid-app-id',
  MissingMethod = 'isv.missing-method',
  InvalidMethod = 'isv.invalid-method',
  MissingSignature = 'isv.missing-signature',
  InvalidParameter = 'ACQ.INVALID_PARAMETER',
  TradeNotExist = 'ACQ.TRADE_NOT_EXIST',
  TradeHasSuccess = 'ACQ.TRADE_HAS_SUCCESS',
  TradeHasClose = 'ACQ.TRADE_HAS_CLOSE',
  TradeStatusError = 'ACQ.TRADE_STATUS_ERROR',
  ContextInconsistent = 'ACQ.CONTEXT_INCONSISTENT',
  RefundAmountExceeded = 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
  DiscordantRepeatRequest = 'ACQ.DISCORDANT_REPEAT_REQUEST',
  BuyerError = 'ACQ.BUYER_ERROR',
  SystemError = 'ACQ.SYSTEM_ERROR',
  BillNotExist = 'isp.bill_not_exist',
}

const COMMON = {
  '20000': 'Service Currently Unavailable',
  '40001': 'Missing Required Arguments',
  '40002': 'Invalid Arguments',
  '40004': 'Business Failed',
} as const;

// exhaustive: a new sub code without its common code does not compile
const CODE_OF: Record<AlipaySubCode, keyof typeof COMMON> = {
  [AlipaySubCode.UnknownError]: '20000',
  [AlipaySubCode.InvalidSignature]: '40002',
  [AlipaySubCode.InvalidAppId]: '40002',
  [AlipaySubCode.MissingMethod]: '40001',
  [AlipaySubCode.InvalidMethod]: '40002',
  [AlipaySubCode.MissingSignature]: '40001',
  [AlipaySubCode.InvalidParameter]: '40004',
  [AlipaySubCode.TradeNotExist]: '40004',
  [AlipaySubCode.TradeHasSuccess]: '40004',
  [AlipaySubCode.TradeHasClose]: '40004',
  [AlipaySubCode.TradeStatusError]: '40004',
  [AlipaySubCode.ContextInconsistent]: '40004',
  [AlipaySubCode.RefundAmountExceeded]: '40004',
  [AlipaySubCode.DiscordantRepeatRequest]: '40004',
  [AlipaySubCode.BuyerError]: '40004',
  [AlipaySubCode.SystemError]: '20000',
  [AlipaySubCode.BillNotExist]: '40004',
};

/** A refusal in Alipay's words: `{code, msg, sub_code, sub_msg}` inside the method's response. */
export class AlipayError extends Error {
  constructor(
    readonly subCode: AlipaySubCode,
    readonly subMsg: string,
  ) {
    super(subMsg);
    this.name = 'AlipayError';
  }

  toBody(): Record<string, string> {
    const code = CODE_OF[this.subCode];
    return { code, msg: COMMON[code], sub_code: this.subCode, sub_msg: this.subMsg };
  }
}
