import { CompositeMachine, IllegalTransitionError, InconsistentMachineError, StateMachine, transitionsOf } from '../src';

type Parcel = 'packed' | 'sent' | 'lost' | 'delivered';
const transitions = {
  packed: { to: ['sent'] },
  sent: { to: ['delivered', 'lost'] },
  lost: { to: ['sent'] },
  delivered: { to: [] },
} as const;

describe('StateMachine', () => {
  const parcel = new StateMachine<Parcel, 'send' | 'lose' | 'deliver'>('parcel', transitions, {
    send: { from: ['packed', 'lost'], to: 'sent' },
    lose: { from: ['sent'], to: 'lost' },
    deliver: { from: ['sent'], to: 'delivered' },
  });

  it('answers next states, final states, moves and actions from the tables', () => {
    expect(parcel.states).toEqual(['packed', 'sent', 'lost', 'delivered']);
    expect(parcel.nextStates('sent')).toEqual(['delivered', 'lost']);
    expect(parcel.isFinal('delivered')).toBe(true);
    expect(parcel.isFinal('lost')).toBe(false);
    expect(parcel.canMove('lost', 'sent')).toBe(true);
    expect(parcel.canMove('sent', 'sent')).toBe(false);
    expect(parcel.nextActions('sent').sort()).toEqual(['deliver', 'lose']);
    expect(parcel.transition('lost', 'send')).toBe('sent');
  });

  it('refuses an action the state does not allow with a typed error naming machine, action and state', () => {
    expect(parcel.can('delivered', 'send')).toBe(false);
    expect(() => parcel.transition('delivered', 'send')).toThrow(IllegalTransitionError);
    expect(() => parcel.transition('delivered', 'send')).toThrow('parcel: cannot send from delivered');
    expect(() => parcel.transition('packed', 'lose')).toThrow(expect.objectContaining({ machine: 'parcel', action: 'lose', from: 'packed' }));
  });

  it('derives its transitions from its actions: one table, final states those no action leaves', () => {
    const actions = {
      send: { from: ['packed', 'lost'], to: 'sent' },
      lose: { from: ['sent'], to: 'lost' },
      deliver: { from: ['sent'], to: 'delivered' },
    } as const;
    const states: Parcel[] = ['packed', 'sent', 'lost', 'delivered'];
    expect(transitionsOf(states, actions)).toEqual({ packed: { to: ['sent'] }, sent: { to: ['lost', 'delivered'] }, lost: { to: ['sent'] }, delivered: { to: [] } });
    const derived = StateMachine.fromActions('parcel', states, actions);
    expect(derived.isFinal('delivered')).toBe(true);
    expect(derived.transition('lost', 'send')).toBe('sent');
    expect(() => StateMachine.fromActions('typo', states, { ...actions, lose: { from: ['sent'], to: 'gone' as Parcel } })).toThrow('lose: leads to unknown state gone');
  });

  it('works as a bare transition table when nothing acts on it by name', () => {
    const bare = new StateMachine<Parcel>('bare parcel', transitions);
    expect(bare.canMove('packed', 'sent')).toBe(true);
    expect(bare.canMove('packed', 'delivered')).toBe(false);
    expect(bare.nextActions('packed')).toEqual([]);
  });

  it('refuses at start every inconsistency of its tables, all named at once', () => {
    expect(() => new StateMachine('broken', { a: { to: ['b'] } } as Record<string, { to: string[] }>)).toThrow('a → b: unknown state');
    const build = () =>
      new StateMachine<Parcel, 'skip' | 'nowhere' | 'ghost'>('broken parcel', transitions, {
        skip: { from: ['packed'], to: 'delivered' },
        nowhere: { from: [], to: 'sent' },
        ghost: { from: ['sent'], to: 'vanished' as Parcel },
      });
    expect(build).toThrow(InconsistentMachineError);
    expect(build).toThrow(
      'state machine broken parcel is inconsistent: skip: packed → delivered is not in the transition table; nowhere: allowed from no state; ghost: leads to unknown state vanished',
    );
  });
});

describe('CompositeMachine', () => {
  type Order = { status: 'open' | 'closed'; paid: 'no' | 'yes' | 'refunded' };
  const status = new StateMachine<Order['status']>('status', { open: { to: ['closed'] }, closed: { to: [] } });
  const paid = new StateMachine<Order['paid']>('paid', { no: { to: ['yes'] }, yes: { to: ['refunded'] }, refunded: { to: [] } });
  const dimensions = { status, paid };
  const initial: Order = { status: 'open', paid: 'no' };
  const order = new CompositeMachine<Order, 'pay' | 'close' | 'refund' | 'touch'>('order', dimensions, initial, {
    pay: { from: { status: ['open'], paid: ['no'] }, to: { paid: 'yes' } },
    close: { from: { status: ['open'], paid: ['yes', 'refunded'] }, to: { status: 'closed' } },
    refund: { from: { paid: ['yes', 'refunded'] }, to: { paid: 'refunded' } },
    touch: { from: { status: ['closed'] }, to: { status: 'closed' } },
  });

  it('moves several dimensions by named actions; a dimension set to its own value stays put', () => {
    const payed = order.transition(initial, 'pay');
    expect(payed).toEqual({ status: 'open', paid: 'yes' });
    expect(order.nextActions(payed).sort()).toEqual(['close', 'refund']);
    const refunded = order.transition(payed, 'refund');
    expect(order.transition(refunded, 'refund')).toEqual(refunded);
    expect(order.transition(order.transition(refunded, 'close'), 'touch')).toEqual({ status: 'closed', paid: 'refunded' });
  });

  it('refuses an action whose starting values the state does not have', () => {
    expect(order.can(initial, 'close')).toBe(false);
    expect(() => order.transition(initial, 'close')).toThrow(/order: cannot close from \{"status":"open","paid":"no"\}/);
  });

  it('refuses at start an action whose move a dimension’s own table does not allow, or an unknown value', () => {
    expect(
      () => new CompositeMachine<Order, 'reopen'>('broken', dimensions, initial, { reopen: { from: { status: ['closed'] }, to: { status: 'open' } } }),
    ).toThrow("reopen: status closed → open is not in status's transition table");
    // a dimension left out of `from` may be anything, so every value must be able to move
    expect(() => new CompositeMachine<Order, 'settle'>('broken', dimensions, initial, { settle: { from: {}, to: { paid: 'yes' } } })).toThrow(
      "settle: paid refunded → yes is not in paid's transition table",
    );
    expect(
      () => new CompositeMachine<Order, 'go'>('broken', dimensions, { status: 'open', paid: 'maybe' as 'no' }, { go: { from: { paid: ['nope' as 'no'] }, to: {} } }),
    ).toThrow('initial paid maybe is not a known value; go starts from unknown paid nope; go changes nothing');
  });
});
