import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { MoneyError, minorToMajor, parseMajor } from '@ebb/contracts';
import { strToU8, zipSync } from 'fflate';
import iconv from 'iconv-lite';
import { SANDBOX_ENV, type SandboxEnv } from '../config';
import { beijingDay, beijingTime } from '../china-time';
import { NotifySender } from '../notify/notify-sender';
import { AlipayError, AlipaySubCode as S } from './alipay-errors';
import { alipaySignContent, rsa2Sign } from './alipay-signature';

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export interface AlipayRefund {
  outRequestNo: string;
  /** fen */
  amount: number;
  at: Date;
}

export interface AlipayTrade {
  outTradeNo: string;
  tradeNo: string;
  /** fen: Alipay takes and answers yuan strings, kept here as integers */
  totalAmount: number;
  subject: string;
  notifyUrl: string | null;
  status: TradeStatus;
  qrCode: string;
  buyer: string | null;
  createdAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
  refunds: AlipayRefund[];
}

/** Test buyers: a payment scanned by `frozen@sandbox.alipay` cannot be refunded (ACQ.BUYER_ERROR), as at Alipay when the buyer's account is frozen. */
export const FROZEN_BUYER = 'frozen@sandbox.alipay';
export const DEFAULT_BUYER = 'buyer@sandbox.alipay';

/** Yuan strings with at most two decimals, within Alipay's bounds (0.01 to 100000000). */
function yuan(value: string | undefined, field: string): number {
  if (value === undefined || !/^(0|[1-9][0-9]{0,8})(\.[0-9]{1,2})?$/.test(value)) throw new AlipayError(S.InvalidParameter, `参数有误 ${field}`);
  let fen: number;
  try {
    fen = parseMajor(value, 'CNY');
  } catch (error) {
    if (error instanceof MoneyError) throw new AlipayError(S.InvalidParameter, `参数有误 ${field}`);
    throw error;
  }
  if (fen < 1 || fen > 10_000_000_000) throw new AlipayError(S.InvalidParameter, `参数有误 ${field}`);
  return fen;
}
const fenToYuan = (fen: number) => minorToMajor(fen, 'CNY');
const refundedFen = (trade: AlipayTrade) => trade.refunds.reduce((sum, r) => sum + r.amount, 0);

/** Alipay's trades in memory: precreate, scan and pay, query, close, refund and its query, the day's bill. */
@Injectable()
export class AlipayTradesService {
  private readonly trades = new Map<string, AlipayTrade>();
  private readonly byQrCode = new Map<string, AlipayTrade>();
  private readonly bills = new Map<string, Buffer>();

  constructor(
    @Inject(SANDBOX_ENV) private readonly env: SandboxEnv,
    private readonly notifier: NotifySender,
  ) {}

  /** alipay.trade.precreate: the QR code for the buyer to scan; asked again with the same trade, the same code. */
  precreate(biz: Record<string, unknown>, notifyUrl: string | null) {
    const outTradeNo = this.outTradeNo(biz);
    const totalAmount = yuan(str(biz.total_amount), 'total_amount');
    const subject = str(biz.subject);
    if (!subject) throw new AlipayError(S.InvalidParameter, '参数有误 subject');
    const existing = this.trades.get(outTradeNo);
    if (existing) {
      if (existing.status === 'TRADE_SUCCESS') throw new AlipayError(S.TradeHasSuccess, '交易已被支付');
      if (existing.status === 'TRADE_CLOSED') throw new AlipayError(S.TradeHasClose, '交易已经关闭');
      if (existing.totalAmount !== totalAmount) throw new AlipayError(S.ContextInconsistent, '交易信息被篡改');
      return { out_trade_no: outTradeNo, qr_code: existing.qrCode };
    }
    const now = new Date();
    const trade: AlipayTrade = {
      outTradeNo,
      tradeNo: `${beijingDay(now).replace(/-/g, '')}22001${digits(15)}`,
      totalAmount,
      subject,
      notifyUrl,
      status: 'WAIT_BUYER_PAY',
      qrCode: `https://qr.alipay.com/bax0${randomBytes(12).toString('hex')}`,
      buyer: null,
      createdAt: now,
      paidAt: null,
      closedAt: null,
      refunds: [],
    };
    this.trades.set(outTradeNo, trade);
    this.byQrCode.set(trade.qrCode, trade);
    return { out_trade_no: outTradeNo, qr_code: trade.qrCode };
  }

  /** The buyer scans the code in the Alipay app and pays: the trade succeeds and the merchant is notified. */
  scan(qrCode: string, buyer = DEFAULT_BUYER): AlipayTrade {
    const trade = this.byQrCode.get(qrCode);
    if (!trade) throw new AlipayError(S.TradeNotExist, '交易不存在');
    if (trade.status !== 'WAIT_BUYER_PAY') throw new AlipayError(trade.status === 'TRADE_SUCCESS' ? S.TradeHasSuccess : S.TradeHasClose, '交易状态不合法');
    trade.status = 'TRADE_SUCCESS';
    trade.buyer = buyer;
    trade.paidAt = new Date();
    this.notify(trade);
    return trade;
  }

  /** alipay.trade.query */
  query(biz: Record<string, unknown>) {
    const trade = this.find(biz);
    return {
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_logon_id: trade.buyer ? maskBuyer(trade.buyer) : '',
      trade_status: trade.status,
      total_amount: fenToYuan(trade.totalAmount),
      receipt_amount: trade.status === 'WAIT_BUYER_PAY' ? '0.00' : fenToYuan(trade.totalAmount),
      ...(trade.paidAt ? { send_pay_date: beijingTime(trade.paidAt) } : {}),
    };
  }

  /** alipay.trade.close: only an unpaid trade closes. */
  close(biz: Record<string, unknown>) {
    const trade = this.find(biz);
    if (trade.status === 'TRADE_SUCCESS') throw new AlipayError(S.TradeStatusError, '交易状态不合法');
    if (trade.status === 'WAIT_BUYER_PAY') {
      trade.status = 'TRADE_CLOSED';
      trade.closedAt = new Date();
    }
    return { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo };
  }

  /**
   * alipay.trade.refund, idempotent by out_request_no: asked again with the same request number and
   * amount it answers the refund made (fund_change N), with another amount it refuses. Refunds are
   * made at once, and the trade's notify_url is told (trade_status_sync with out_biz_no and refund_fee).
   */
  refund(biz: Record<string, unknown>) {
    const trade = this.find(biz);
    const amount = yuan(str(biz.refund_amount), 'refund_amount');
    const outRequestNo = str(biz.out_request_no) ?? trade.outTradeNo;
    if (outRequestNo.length > 64) throw new AlipayError(S.InvalidParameter, '参数有误 out_request_no');
    const seen = trade.refunds.find((r) => r.outRequestNo === outRequestNo);
    if (seen) {
      if (seen.amount !== amount) throw new AlipayError(S.DiscordantRepeatRequest, '不一致的请求');
      return this.refundAnswer(trade, seen, 'N');
    }
    if (trade.status !== 'TRADE_SUCCESS') throw new AlipayError(trade.status === 'TRADE_CLOSED' ? S.TradeHasClose : S.TradeStatusError, '交易状态不合法');
    if (trade.buyer === FROZEN_BUYER) throw new AlipayError(S.BuyerError, '买家状态非法');
    if (refundedFen(trade) + amount > trade.totalAmount) throw new AlipayError(S.RefundAmountExceeded, '退款金额超限');
    const refund: AlipayRefund = { outRequestNo, amount, at: new Date() };
    trade.refunds.push(refund);
    if (refundedFen(trade) === trade.totalAmount) {
      trade.status = 'TRADE_CLOSED';
      trade.closedAt = refund.at;
    }
    this.notify(trade, refund);
    return this.refundAnswer(trade, refund, 'Y');
  }

  /** alipay.trade.fastpay.refund.query: a refund it never made answers without refund_amount or refund_status. */
  refundQuery(biz: Record<string, unknown>) {
    const trade = this.find(biz);
    const outRequestNo = str(biz.out_request_no);
    if (!outRequestNo) throw new AlipayError(S.InvalidParameter, '参数有误 out_request_no');
    const refund = trade.refunds.find((r) => r.outRequestNo === outRequestNo);
    const base = { trade_no: trade.tradeNo, out_trade_no: trade.outTradeNo, out_request_no: outRequestNo, total_amount: fenToYuan(trade.totalAmount) };
    if (!refund) return base;
    return { ...base, refund_amount: fenToYuan(refund.amount), refund_status: 'REFUND_SUCCESS', gmt_refund_pay: beijingTime(refund.at) };
  }

  /** alipay.data.dataservice.bill.downloadurl.query: a URL of the day's bill (a zip of GBK CSV). Today's bill holds the day so far. */
  billUrl(biz: Record<string, unknown>, base: string) {
    const billType = str(biz.bill_type);
    const billDate = str(biz.bill_date);
    if (billType !== 'trade') throw new AlipayError(S.InvalidParameter, '参数有误 bill_type');
    if (!billDate || !/^\d{4}-\d{2}-\d{2}$/.test(billDate) || Number.isNaN(Date.parse(billDate))) throw new AlipayError(S.InvalidParameter, '参数有误 bill_date');
    if (billDate > beijingDay(new Date())) throw new AlipayError(S.BillNotExist, '账单不存在');
    const token = randomBytes(16).toString('hex');
    this.bills.set(token, this.bill(billDate));
    return { bill_download_url: `${base}/alipay/bills/${token}.zip` };
  }

  downloadBill(token: string): Buffer | undefined {
    return this.bills.get(token);
  }

  /** Alipay's trade bill of a Beijing day: every payment completed and every refund made that day. */
  private bill(day: string): Buffer {
    const header =
      '支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注';
    const rows: string[] = [];
    let received = 0;
    let refunded = 0;
    // Alipay writes each value followed by a tab, so spreadsheets keep long numbers as text
    const line = (values: string[]) => values.map((value) => `${value}\t`).join(',');
    for (const trade of this.trades.values()) {
      if (trade.paidAt && beijingDay(trade.paidAt) === day) {
        received += trade.totalAmount;
        rows.push(line([trade.tradeNo, trade.outTradeNo, '交易', trade.subject, beijingTime(trade.createdAt), beijingTime(trade.paidAt), '', '', '', '', maskBuyer(trade.buyer ?? ''), fenToYuan(trade.totalAmount), fenToYuan(trade.totalAmount), '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', '', '0.00', '0.00', '']));
      }
      for (const refund of trade.refunds.filter((r) => beijingDay(r.at) === day)) {
        refunded += refund.amount;
        rows.push(line([trade.tradeNo, trade.outTradeNo, '退款', trade.subject, beijingTime(trade.createdAt), beijingTime(refund.at), '', '', '', '', maskBuyer(trade.buyer ?? ''), fenToYuan(trade.totalAmount), fenToYuan(-refund.amount), '0.00', '0.00', '0.00', '0.00', '0.00', '', '0.00', '0.00', refund.outRequestNo, '0.00', '0.00', '']));
      }
    }
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const cn = (d: string) => `${d.slice(0, 4)}年${d.slice(5, 7)}月${d.slice(8, 10)}日`;
    const csv = [
      '#支付宝业务明细查询',
      `#账号：[${this.env.SANDBOX_ALIPAY_APP_ID}0156]`,
      `#起始日期：[${cn(day)} 00:00:00]   终止日期：[${cn(next)} 00:00:00]`,
      '#-----------------------------------------业务明细列表----------------------------------------',
      header,
      ...rows,
      '#-----------------------------------------业务明细列表结束------------------------------------',
      `#交易合计：${rows.length}笔，商家实收共：${fenToYuan(received)}元，商家实收退款共：${fenToYuan(-refunded)}元，服务费共：0.00元，分润共：0.00元`,
      `#导出时间：[${beijingTime(new Date()).replace(/^(\d{4})-(\d{2})-(\d{2})/, '$1年$2月$3日')}]`,
    ].join('\r\n');
    const name = `${this.env.SANDBOX_ALIPAY_APP_ID}0156_${day.replace(/-/g, '')}_业务明细.csv`;
    return Buffer.from(zipSync({ [name]: iconv.encode(csv, 'gbk') }));
  }

  private refundAnswer(trade: AlipayTrade, refund: AlipayRefund, fundChange: 'Y' | 'N') {
    return {
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      buyer_logon_id: maskBuyer(trade.buyer ?? ''),
      fund_change: fundChange,
      refund_fee: fenToYuan(refundedFen(trade)),
      gmt_refund_pay: beijingTime(refund.at),
      out_request_no: refund.outRequestNo,
    };
  }

  private outTradeNo(biz: Record<string, unknown>): string {
    const value = str(biz.out_trade_no);
    if (!value || value.length > 64 || !/^[A-Za-z0-9_-]+$/.test(value)) throw new AlipayError(S.InvalidParameter, '参数有误 out_trade_no');
    return value;
  }

  private find(biz: Record<string, unknown>): AlipayTrade {
    const outTradeNo = str(biz.out_trade_no);
    const tradeNo = str(biz.trade_no);
    if (!outTradeNo && !tradeNo) throw new AlipayError(S.InvalidParameter, '参数有误 out_trade_no 和 trade_no 不能同时为空');
    const trade = outTradeNo ? this.trades.get(outTradeNo) : [...this.trades.values()].find((t) => t.tradeNo === tradeNo);
    if (!trade || (tradeNo && trade.tradeNo !== tradeNo)) throw new AlipayError(S.TradeNotExist, '交易不存在');
    return trade;
  }

  /** trade_status_sync to the trade's notify_url, signed with Alipay's key (RSA2), form-encoded; `success` acknowledges it. */
  private notify(trade: AlipayTrade, refund?: AlipayRefund) {
    if (!trade.notifyUrl) return;
    const now = new Date();
    const params: Record<string, string> = {
      notify_time: beijingTime(now),
      notify_type: 'trade_status_sync',
      notify_id: `${randomBytes(16).toString('hex')}`,
      app_id: this.env.SANDBOX_ALIPAY_APP_ID,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      trade_no: trade.tradeNo,
      out_trade_no: trade.outTradeNo,
      trade_status: trade.status,
      total_amount: fenToYuan(trade.totalAmount),
      receipt_amount: fenToYuan(trade.totalAmount),
      buyer_logon_id: maskBuyer(trade.buyer ?? ''),
      subject: trade.subject,
      gmt_create: beijingTime(trade.createdAt),
      ...(trade.paidAt ? { gmt_payment: beijingTime(trade.paidAt) } : {}),
      ...(refund ? { out_biz_no: refund.outRequestNo, refund_fee: fenToYuan(refundedFen(trade)), gmt_refund: beijingTime(refund.at) } : {}),
      ...(trade.closedAt ? { gmt_close: beijingTime(trade.closedAt) } : {}),
    };
    // notifications leave out sign_type from what is signed (requests sign it)
    params.sign = rsa2Sign(alipaySignContent(params, ['sign', 'sign_type']), this.env.SANDBOX_ALIPAY_PRIVATE_KEY);
    this.notifier.send({
      provider: 'alipay',
      notifyId: params.notify_id,
      type: refund ? 'refund' : 'payment',
      objectId: refund ? refund.outRequestNo : trade.outTradeNo,
      url: trade.notifyUrl,
      contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      render: () => ({ body: new URLSearchParams(params).toString(), headers: {} }),
      accepted: (status, body) => status === 200 && body.trim() === 'success',
    });
  }
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const digits = (n: number) => Array.from(randomBytes(n), (b) => String(b % 10)).join('');
/** Alipay shows the buyer's account masked: `buy***@sandbox.alipay`. */
const maskBuyer = (buyer: string) => buyer.replace(/^(.{3})[^@]*/, '$1***');
