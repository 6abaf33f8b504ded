import { parseOptions } from '../options';
import { reportCsv } from '../report';

describe('policy:migrate command line and report', () => {
  it('reads one command with its options, and the refund-service address from REFUND_URL', () => {
    expect(parseOptions(['--dry-run', '--sellers', 'sel-a, sel-b', '--out', 'tmp/r.csv'], {})).toEqual({
      command: { kind: 'dry_run', sellerIds: ['sel-a', 'sel-b'] },
      out: 'tmp/r.csv',
      url: 'http://127.0.0.1:3003',
      waitSeconds: 60,
    });
    expect(parseOptions(['--rollback', 'pmr_1'], { REFUND_URL: 'http://refunds:3003/' })).toMatchObject({ command: { kind: 'rollback', runId: 'pmr_1' }, url: 'http://refunds:3003' });
    expect(parseOptions(['--help'], {})).toBe('help');
  });

  it('refuses no command, two commands, sellers for a resume and unknown options', () => {
    expect(() => parseOptions([], {})).toThrow('give exactly one of');
    expect(() => parseOptions(['--apply', '--dry-run'], {})).toThrow('give exactly one of');
    expect(() => parseOptions(['--resume', 'pmr_1', '--sellers', 'a'], {})).toThrow('--sellers goes with');
    expect(() => parseOptions(['--apply', '--force'], {})).toThrow(/Unknown option '--force'/);
    expect(() => parseOptions(['--apply', '--wait-seconds', 'soon'], {})).toThrow('--wait-seconds');
  });

  it('writes the report as CSV with a header, quoting what needs it, Chinese as it is', () => {
    const csv = reportCsv([
      {
        productId: 'prd-1',
        sellerId: 'sel-zh1',
        title: '水彩课程, 第二版',
        currentWindowDays: 30,
        currentSource: 'default',
        recommendedWindowDays: 60,
        confidence: 0.67,
        reason: { rule: 'course', keywords: ['课程', 'online course'] },
        action: 'set',
      },
    ]);
    expect(csv).toBe(
      'productId,sellerId,title,currentWindowDays,currentSource,recommendedWindowDays,confidence,rule,keywords,action,conflictRule,outcome,rolledBack\n' +
        'prd-1,sel-zh1,"水彩课程, 第二版",30,default,60,0.67,course,课程|online course,set,,,\n',
    );
  });
});
