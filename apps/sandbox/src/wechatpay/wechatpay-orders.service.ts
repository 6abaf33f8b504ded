import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { minorToMajor } from '@ebb/contracts';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { beijingDay, beijingRfc3339, beijingTime } from '../china-time';
import { NotifySender } from '../notify/notify-sender';
import { WechatPayError, WechatPayErrorCode as E } from './wechatpay-errors';
import { encryptResource, platformHeaders } from './wechatpay-signature';
import { Timers } from '../timers';

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND';
export type RefundStatus = 'PROCESSING' | 'SUCCESS' | 'ABNORMAL' | 'CLOSED';

export interface WechatRefund {
  refundId: string;
  outRefundNo: string;
  /** fen, as WeChat Pay counts */
  refund: number;
  status: RefundStatus;
  notifyUrl: string | null;
  createdAt: Date;
  successAt: Date | null;
}

export interface WechatOrder {
  outTradeNo: string;
  transactionId: string | null;
  description: string;
  total: number;
  notifyUrl: string;
  codeUrl: string;
  state: TradeState;
  payer: string | null;
  createdAt: Date;
  paidAt: Date | null;
  refunds: WechatRefund[];
}

/** Test payers: refunds of a payment by this openid end ABNORMAL (the buyer's card was cancelled), told by REFUND.ABNORMAL. */
export const ABNORMAL_PAYER = 'oSandboxAbnormalRefunds';
export const DEFAULT_PAYER = 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o';

const OUT_NO = /^[A-Za-z0-9_\-|*@]+$/;
const positiveFen = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
const yuan = (fen: number) => minorToMajor(fen, 'CNY');

/** WeChat Pay's Native orders and refunds in memory, its notifications and its daily trade bill. */
@Injectable()
export class WechatPayOrdersService implements OnModuleDestroy {
  private readonly orders = new Map<string, WechatOrder>();
  private readonly byCode = new Map<string, WechatOrder>();
  private readonly bills = new Map<string, string>();
  private readonly timers = new Timers();

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    private readonly notifier: NotifySender,
  ) {}

  onModuleDestroy() {
    this.timers.stop();
  }

  /** POST /v3/pay/transactions/native: the code_url to show as a QR code; the same order again answers the same code. */
  native(body: Record<string, any>): { code_url: string } {
    if (body.appid !== this.env.SANDBOX_WECHATPAY_APPID || body.mchid !== this.env.SANDBOX_WECHATPAY_MCHID) throw new WechatPayError(E.InvalidRequest, 'appid和mch_id不匹配');
    const outTradeNo = body.out_trade_no;
    if (typeof outTradeNo !== 'string' || outTradeNo.length < 6 || outTradeNo.length > 32 || !OUT_NO.test(outTradeNo)) {
      throw new WechatPayError(E.ParamError, '输入源"/body/out_trade_no"映射到值字段"商户订单号"字符串规则校验失败');
    }
    if (typeof body.description !== 'string' || body.description === '') throw new WechatPayError(E.ParamError, '输入源"/body/description"映射到值字段"商品描述"必填性规则校验失败');
    if (typeof body.notify_url !== 'string' || !/^https?:\/\//.test(body.notify_url)) throw new WechatPayError(E.ParamError, '输入源"/body/notify_url"映射到值字段"通知地址"字符串规则校验失败');
    if (!positiveFen(body.amount?.total)) throw new WechatPayError(E.ParamError, '输入源"/body/amount/total"映射到值字段"总金额"规则校验失败');
    if ((body.amount.currency ?? 'CNY') !== 'CNY') throw new WechatPayError(E.ParamError, '输入源"/body/amount/currency"映射到值字段"货币类型"规则校验失败');
    const existing = this.orders.get(outTradeNo);
    if (existing) {
      if (existing.state === 'SUCCESS' || existing.state === 'REFUND') throw new WechatPayError(E.OrderPaid, '该订单已支付');
      if (existing.state === 'CLOSED') throw new WechatPayError(E.OrderClosed, '该订单已关闭');
      if (existing.total !== body.amount.total || existing.description !== body.description) throw new WechatPayError(E.InvalidRequest, '201 商户订单号重复');
      return { code_url: existing.codeUrl };
    }
    const order: WechatOrder = {
      outTradeNo,
      transactionId: null,
      description: body.description,
      total: body.amount.total,
      notifyUrl: body.notify_url,
      codeUrl: `weixin://wxpay/bizpayurl?pr=${randomBytes(6).toString('base64url')}`,
      state: 'NOTPAY',
      payer: null,
      createdAt: new Date(),
      paidAt: null,
      refunds: [],
    };
    this.orders.set(outTradeNo, order);
    this.byCode.set(order.codeUrl, order);
    return { code_url: order.codeUrl };
  }

  /** The customer scans the code with WeChat and pays: TRANSACTION.SUCCESS goes to the order's notify_url. */
  scan(codeUrl: string, payer = DEFAULT_PAYER): WechatOrder | 'unknown' | 'not_payable' {
    const order = this.byCode.get(codeUrl);
    if (!order) return 'unknown';
    if (order.state !== 'NOTPAY') return 'not_payable';
    order.state = 'SUCCESS';
    order.payer = payer;
    order.paidAt = new Date();
    order.transactionId = `4200${beijingDay(order.paidAt).replace(/-/g, '')}${digits(18)}`;
    this.notify(order.notifyUrl, 'TRANSACTION.SUCCESS', '支付成功', 'transaction', order.outTradeNo, this.transaction(order));
    return order;
  }

  query(outTradeNo: string, mchid: unknown) {
    if (mchid !== this.env.SANDBOX_WECHATPAY_MCHID) throw new WechatPayError(E.ParamError, '输入源"/query/mchid"映射到值字段"直连商户号"必填性规则校验失败');
    return this.transaction(this.find(outTradeNo));
  }

  close(outTradeNo: string, body: Record<string, any>): void {
    if (body.mchid !== this.env.SANDBOX_WECHATPAY_MCHID) throw new WechatPayError(E.ParamError, '输入源"/body/mchid"映射到值字段"直连商户号"必填性规则校验失败');
    const order = this.find(outTradeNo);
    if (order.state === 'SUCCESS' || order.state === 'REFUND') throw new WechatPayError(E.OrderPaid, '订单已支付');
    order.state = 'CLOSED';
  }

  /**
   * POST /v3/refund/domestic/refunds, idempotent by out_refund_no (the same number answers the refund
   * made). A refund is PROCESSING, then SUCCESS (or ABNORMAL for the test payer) after
   * SANDBOX_REFUND_SETTLE_MS, told to the refund's notify_url.
   */
  refund(body: Record<string, any>) {
    const outRefundNo = body.out_refund_no;
    if (typeof outRefundNo !== 'string' || outRefundNo.length > 64 || !OUT_NO.test(outRefundNo)) throw new WechatPayError(E.ParamError, '输入源"/body/out_refund_no"映射到值字段"商户退款单号"字符串规则校验失败');
    const order =
      typeof body.out_trade_no === 'string'
        ? this.orders.get(body.out_trade_no)
        : typeof body.transaction_id === 'string'
          ? [...this.orders.values()].find((o) => o.transactionId === body.transaction_id)
          : undefined;
    if (!order) throw new WechatPayError(E.ResourceNotExists, '订单不存在');
    const amount = body.amount ?? {};
    if (!positiveFen(amount.refund) || !positiveFen(amount.total) || (amount.currency ?? 'CNY') !== 'CNY') throw new WechatPayError(E.ParamError, '输入源"/body/amount"映射到值字段"金额信息"规则校验失败');
    if (amount.total !== order.total) throw new WechatPayError(E.ParamError, '订单金额或退款金额与之前请求不一致，请核实后再试');
    const seen = order.refunds.find((r) => r.outRefundNo === outRefundNo);
    if (seen) {
      if (seen.refund !== amount.refund) throw new WechatPayError(E.InvalidRequest, '订单金额或退款金额与之前请求不一致，请核实后再试');
      return this.refundView(order, seen);
    }
    if (order.state === 'NOTPAY' || order.state === 'CLOSED') throw new WechatPayError(E.InvalidRequest, '订单未支付');
    const held = order.refunds.filter((r) => r.status !== 'CLOSED' && r.status !== 'ABNORMAL').reduce((sum, r) => sum + r.refund, 0);
    if (held + amount.refund > order.total) throw new WechatPayError(E.InvalidRequest, '申请退款金额超过订单可退金额');
    const refund: WechatRefund = {
      refundId: `5030${digits(25)}`,
      outRefundNo,
      refund: amount.refund,
      status: 'PROCESSING',
      notifyUrl: typeof body.notify_url === 'string' ? body.notify_url : null,
      createdAt: new Date(),
      successAt: null,
    };
    order.refunds.push(refund);
    order.state = 'REFUND';
    this.timers.later(this.env.SANDBOX_REFUND_SETTLE_MS, () => this.settle(order, refund));
    return this.refundView(order, refund);
  }

  findRefund(outRefundNo: string) {
    for (const order of this.orders.values()) {
      const refund = order.refunds.find((r) => r.outRefundNo === outRefundNo);
      if (refund) return this.refundView(order, refund);
    }
    throw new WechatPayError(E.ResourceNotExists, '退款单不存在');
  }

  /** GET /v3/bill/tradebill: where to download the Beijing day's bill (ALL: payments and refunds), and its SHA1. */
  tradeBill(query: Record<string, unknown>, base: string) {
    const day = query.bill_date;
    if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(day))) throw new WechatPayError(E.ParamError, '输入源"/query/bill_date"映射到值字段"账单日期"规则校验失败');
    if ((query.bill_type ?? 'ALL') !== 'ALL') throw new WechatPayError(E.ParamError, '输入源"/query/bill_type"映射到值字段"账单类型"规则校验失败');
    if (day > beijingDay(new Date())) throw new WechatPayError(E.InvalidRequest, '账单日期不合法');
    const bill = this.bill(day);
    if (!bill) throw new WechatPayError(E.NoStatementExist, '当日无交易，账单不存在');
    const token = randomBytes(16).toString('hex');
    this.bills.set(token, bill);
    return { hash_type: 'SHA1', hash_value: createHash('sha1').update(bill, 'utf8').digest('hex'), download_url: `${base}/v3/billdownload/file?token=${token}` };
  }

  downloadBill(token: unknown): string | undefined {
    return typeof token === 'string' ? this.bills.get(token) : undefined;
  }

  private bill(day: string): string | null {
    const mchid = this.env.SANDBOX_WECHATPAY_MCHID;
    const appid = this.env.SANDBOX_WECHATPAY_APPID;
    const header = '交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注';
    // every field starts with a backquote, so spreadsheets keep long numbers as text
    const line = (values: (string | number)[]) => values.map((v) => `\`${v}`).join(',');
    const rows: string[] = [];
    let paid = 0;
    let refunded = 0;
    let count = 0;
    for (const order of this.orders.values()) {
      if (order.paidAt && beijingDay(order.paidAt) === day) {
        count += 1;
        paid += order.total;
        rows.push(line([beijingTime(order.paidAt), appid, mchid, '0', '', order.transactionId!, order.outTradeNo, order.payer!, 'NATIVE', 'SUCCESS', 'OTHERS', 'CNY', yuan(order.total), '0.00', '0', '0', '0.00', '0.00', '', '', order.description, '', '0.00000', '0.60%', yuan(order.total), '0.00', '']));
      }
      for (const refund of order.refunds.filter((r) => beijingDay(r.createdAt) === day)) {
        count += 1;
        if (refund.status === 'SUCCESS') refunded += refund.refund;
        rows.push(line([beijingTime(order.paidAt!), appid, mchid, '0', '', order.transactionId!, order.outTradeNo, order.payer!, 'NATIVE', 'REFUND', 'OTHERS', 'CNY', '0.00', '0.00', refund.refundId, refund.outRefundNo, yuan(refund.refund), '0.00', 'ORIGINAL', refund.status === 'ABNORMAL' ? 'CHANGE' : refund.status === 'CLOSED' ? 'REFUNDCLOSE' : refund.status, order.description, '', '0.00000', '0.60%', '0.00', yuan(refund.refund), '']));
      }
    }
    if (count === 0) return null;
    return [header, ...rows, '总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额', line([count, yuan(paid), yuan(refunded), '0.00', '0.00000', yuan(paid), yuan(refunded)])].join('\r\n') + '\r\n';
  }

  private settle(order: WechatOrder, refund: WechatRefund) {
    const abnormal = order.payer === ABNORMAL_PAYER;
    refund.status = abnormal ? 'ABNORMAL' : 'SUCCESS';
    if (!abnormal) refund.successAt = new Date();
    if (!refund.notifyUrl) return;
    const resource = {
      mchid: this.env.SANDBOX_WECHATPAY_MCHID,
      out_trade_no: order.outTradeNo,
      transaction_id: order.transactionId,
      out_refund_no: refund.outRefundNo,
      refund_id: refund.refundId,
      refund_status: refund.status,
      ...(refund.successAt ? { success_time: beijingRfc3339(refund.successAt) } : {}),
      user_received_account: '支付用户零钱',
      amount: { total: order.total, refund: refund.refund, payer_total: order.total, payer_refund: refund.refund },
    };
    this.notify(refund.notifyUrl, abnormal ? 'REFUND.ABNORMAL' : 'REFUND.SUCCESS', abnormal ? '退款异常' : '退款成功', 'refund', refund.outRefundNo, resource);
  }

  private transaction(order: WechatOrder) {
    return {
      appid: this.env.SANDBOX_WECHATPAY_APPID,
      mchid: this.env.SANDBOX_WECHATPAY_MCHID,
      out_trade_no: order.outTradeNo,
      ...(order.transactionId ? { transaction_id: order.transactionId } : {}),
      trade_type: 'NATIVE',
      trade_state: order.state,
      trade_state_desc: { NOTPAY: '未支付', SUCCESS: '支付成功', CLOSED: '已关闭', REFUND: '转入退款' }[order.state],
      ...(order.paidAt ? { bank_type: 'OTHERS', success_time: beijingRfc3339(order.paidAt), payer: { openid: order.payer } } : {}),
      amount: { total: order.total, ...(order.paidAt ? { payer_total: order.total } : {}), currency: 'CNY', payer_currency: 'CNY' },
    };
  }

  private refundView(order: WechatOrder, refund: WechatRefund) {
    return {
      refund_id: refund.refundId,
      out_refund_no: refund.outRefundNo,
      transaction_id: order.transactionId,
      out_trade_no: order.outTradeNo,
      channel: 'ORIGINAL',
      user_received_account: '支付用户零钱',
      ...(refund.successAt ? { success_time: beijingRfc3339(refund.successAt) } : {}),
      create_time: beijingRfc3339(refund.createdAt),
      status: refund.status,
      funds_account: 'AVAILABLE',
      amount: { total: order.total, refund: refund.refund, payer_total: order.total, payer_refund: refund.refund, settlement_refund: refund.refund, settlement_total: order.total, discount_refund: 0, currency: 'CNY', refund_fee: 0 },
    };
  }

  private find(outTradeNo: string): WechatOrder {
    const order = this.orders.get(outTradeNo);
    if (!order) throw new WechatPayError(E.OrderNotExist, '订单不存在');
    return order;
  }

  /** A notification: the resource encrypted under the APIv3 key, the body signed with the platform key (afresh for each attempt). */
  private notify(url: string, eventType: string, summary: string, originalType: 'transaction' | 'refund', objectId: string, resource: object) {
    const id = randomUUID();
    const payload = JSON.stringify({
      id,
      create_time: beijingRfc3339(new Date()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { original_type: originalType, ...encryptResource(JSON.stringify(resource), this.env.SANDBOX_WECHATPAY_API_V3_KEY, originalType) },
    });
    this.notifier.send({
      provider: 'wechatpay',
      notifyId: id,
      type: eventType,
      objectId,
      url,
      contentType: 'application/json',
      render: () => ({ body: payload, headers: platformHeaders(payload, this.env.SANDBOX_WECHATPAY_PLATFORM_PRIVATE_KEY, this.env.SANDBOX_WECHATPAY_PLATFORM_PUBLIC_KEY_ID) }),
      accepted: (status) => status >= 200 && status < 300,
    });
  }

}

const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
