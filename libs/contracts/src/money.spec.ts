import { allocateMinor, currencySchema, formatMoney, formatMoneyIn, majorToMinor, minorToMajor, minorUnitsSchema, multiplyMinor, MoneyError, parseMajor, positiveMinorUnitsSchema, sumMinor } from './money';
import { idSchema, newId } from './ids';

describe('money in minor units', () => {
  it('splits 100 three ways into 34, 33, 33 that add back to 100', () => {
    expect(allocateMinor(100, [1, 1, 1])).toEqual([34, 33, 33]);
  });

  it('splits in proportion and never loses or invents a cent', () => {
    for (const [total, weights] of [
      [1, [1, 1]],
      [999, [3, 3, 3, 1]],
      [1001, [2500, 1250, 1250]],
      [5000, [300, 300, 300, 300, 300, 300, 300]],
      [Number.MAX_SAFE_INTEGER, [1, 2, 3]],
    ] as const) {
      const parts = allocateMinor(total, [...weights]);
      expect(parts.every(Number.isSafeInteger)).toBe(true);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
    }
    expect(allocateMinor(1000, [3000, 1000])).toEqual([750, 250]);
  });

  it('refuses fractions, unsafe sums and empty splits', () => {
    expect(() => sumMinor([0.1, 0.2])).toThrow(MoneyError);
    expect(() => sumMinor([Number.MAX_SAFE_INTEGER, 1])).toThrow(MoneyError);
    expect(() => multiplyMinor(1999, 1.5)).toThrow(MoneyError);
    expect(() => allocateMinor(10, [])).toThrow(MoneyError);
    expect(() => allocateMinor(10, [0, 0])).toThrow(MoneyError);
    expect(multiplyMinor(1999, 3)).toBe(5997);
  });

  it('validates amounts and currencies', () => {
    expect(minorUnitsSchema.safeParse(1999).success).toBe(true);
    expect(minorUnitsSchema.safeParse(0).success).toBe(true);
    expect(positiveMinorUnitsSchema.safeParse(0).success).toBe(false);
    expect(minorUnitsSchema.safeParse(-1).success).toBe(false);
    expect(minorUnitsSchema.safeParse(19.99).success).toBe(false);
    expect(minorUnitsSchema.safeParse('1999').success).toBe(false);
    expect(currencySchema.safeParse('USD').success).toBe(true);
    expect(currencySchema.safeParse('usd').error?.issues.map((issue) => issue.message)).toEqual(['must be an ISO 4217 code in upper case, e.g. USD']);
    expect(currencySchema.safeParse('XYZ').error?.issues.map((issue) => issue.message)).toEqual(['is not an ISO 4217 currency']);
    expect(currencySchema.safeParse('XYZ').success).toBe(false);
  });

  it('formats with the currency’s own minor digits', () => {
    expect(formatMoney({ amount: 1999, currency: 'USD' })).toBe('USD 19.99');
    expect(formatMoney({ amount: 5, currency: 'EUR' })).toBe('EUR 0.05');
    expect(formatMoney({ amount: 1999, currency: 'JPY' })).toBe('JPY 1999');
    expect(formatMoney({ amount: 1999, currency: 'KWD' })).toBe('KWD 1.999');
  });

  it('turns a setting in major units into each currency’s minor units (0, 2 and 3 digits), without floats', () => {
    expect(majorToMinor('5000', 'JPY')).toBe(5000);
    expect(majorToMinor('5000', 'USD')).toBe(500000);
    expect(majorToMinor('5000', 'KWD')).toBe(5000000);
    expect(majorToMinor('19.99', 'EUR')).toBe(1999);
    expect(majorToMinor('0.1', 'KWD')).toBe(100);
    // finer than the minor unit is dropped: a limit never grows by rounding
    expect(majorToMinor('0.125', 'USD')).toBe(12);
    expect(majorToMinor('12.9', 'JPY')).toBe(12);
    expect(majorToMinor('999999999999.999', 'KWD')).toBe(999999999999999);
    for (const bad of ['', '-1', '1e3', '5,000', '05', '1.2345', ' 1', 'NaN']) expect(() => majorToMinor(bad, 'USD')).toThrow(MoneyError);
    expect(() => majorToMinor('999999999999', 'KWD')).not.toThrow();
  });
});

describe('ids', () => {
  it('are opaque, prefixed and valid', () => {
    const id = newId('ref');
    expect(id).toMatch(/^ref_[0-9a-f]{32}$/);
    expect(idSchema.safeParse(id).success).toBe(true);
    expect(idSchema.safeParse('has space').success).toBe(false);
  });

  it('writes minor units as the yuan strings Alipay takes, with two decimals, and reads them back exactly', () => {
    expect(minorToMajor(1234, 'CNY')).toBe('12.34');
    expect(minorToMajor(5, 'CNY')).toBe('0.05');
    expect(minorToMajor(100, 'CNY')).toBe('1.00');
    expect(minorToMajor(0, 'CNY')).toBe('0.00');
    expect(minorToMajor(-1999, 'USD')).toBe('-19.99');
    expect(minorToMajor(1999, 'JPY')).toBe('1999');
    expect(parseMajor('12.34', 'CNY')).toBe(1234);
    expect(parseMajor('0.05', 'CNY')).toBe(5);
    expect(parseMajor('12.3', 'CNY')).toBe(1230);
    expect(parseMajor('12', 'CNY')).toBe(1200);
    expect(parseMajor('-0.50', 'CNY')).toBe(-50);
    expect(parseMajor('12.340', 'CNY')).toBe(1234);
    // 0.1 + 0.2 is the classic float trap: each yuan string maps to exactly one integer
    expect(parseMajor('0.30', 'CNY')).toBe(parseMajor('0.10', 'CNY') + parseMajor('0.20', 'CNY'));
    for (const amount of [1, 7, 10, 99, 101, 123456789, Number.MAX_SAFE_INTEGER]) expect(parseMajor(minorToMajor(amount, 'CNY'), 'CNY')).toBe(amount);
  });

  it('refuses provider amounts it cannot read exactly', () => {
    expect(() => parseMajor('12.345', 'CNY')).toThrow(MoneyError);
    expect(() => parseMajor('1e3', 'CNY')).toThrow(MoneyError);
    expect(() => parseMajor('12,34', 'CNY')).toThrow(MoneyError);
    expect(() => parseMajor('', 'CNY')).toThrow(MoneyError);
    expect(() => parseMajor('99999999999999999', 'CNY')).toThrow(MoneyError);
    expect(() => minorToMajor(1.5, 'CNY')).toThrow(MoneyError);
  });
});

describe('formatMoneyIn', () => {
  it('writes money as a reader of the locale does, in the currency’s own digits, exactly beyond what a float holds', () => {
    expect(formatMoneyIn('en', { amount: 1999, currency: 'USD' })).toBe('$19.99');
    expect(formatMoneyIn('zh-CN', { amount: 1999, currency: 'USD' })).toBe('US$19.99');
    expect(formatMoneyIn('zh-CN', { amount: 500000, currency: 'CNY' })).toBe('¥5,000.00');
    expect(formatMoneyIn('en', { amount: 5000, currency: 'JPY' })).toBe('¥5,000');
    expect(formatMoneyIn('en', { amount: 5000001, currency: 'KWD' })).toBe('KWD\u00a05,000.001');
    // 2^53 + 1 minor units cannot be a float: a safe integer just below it formats to the last digit
    expect(formatMoneyIn('en', { amount: Number.MAX_SAFE_INTEGER, currency: 'USD' })).toBe('$90,071,992,547,409.91');
  });
});
