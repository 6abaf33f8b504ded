/**
 * Ebb's one state machine. A lifecycle is data: a transition table (each state lists the states it
 * may move to; a final state lists none) and, where people and events act on it, a table of named
 * actions (the states each starts from and the one it leads to). Both are checked when the machine
 * is built, so a typo in a table stops the service at start instead of stranding a refund later.
 *
 * An order moves three statuses at once: `CompositeMachine` holds one `StateMachine` per dimension
 * and actions over several of them, each move checked against its dimension's table.
 */

/** Which states each state may move to; a final state has `to: []`. */
export type TransitionTable<S extends string> = { readonly [state in S]: { readonly to: readonly S[] } };

/** What each action does: the states it may start from and the one it leads to. */
export type ActionTable<S extends string, A extends string> = { readonly [action in A]: { readonly from: readonly S[]; readonly to: S } };

/** An action (or move) the current state does not allow; nothing changed. Names the machine, the action and the state. */
export class IllegalTransitionError<From = unknown> extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly machine: string,
    readonly action: string,
    readonly from: From,
  ) {
    super(`${machine}: cannot ${action} from ${typeof from === 'string' ? from : JSON.stringify(from)}`);
  }
}

/** A table that contradicts itself; thrown when the machine is built. */
export class InconsistentMachineError extends Error {
  override readonly name = 'InconsistentMachineError';
  constructor(machine: string, problems: string[]) {
    super(`state machine ${machine} is inconsistent: ${problems.join('; ')}`);
  }
}

/**
 * The transition table an action table implies: each state may move wherever an action from it leads.
 * One table to keep, not two kept in step by hand; `states` lists every state, final ones included.
 */
export function transitionsOf<S extends string, A extends string>(states: readonly S[], actions: ActionTable<S, A>): TransitionTable<S> {
  const table = Object.fromEntries(states.map((state) => [state, { to: [] as S[] }])) as { [state in S]: { to: S[] } };
  for (const { from, to } of Object.values(actions) as { from: readonly S[]; to: S }[]) {
    for (const state of from) if (table[state] && !table[state].to.includes(to)) table[state].to.push(to);
  }
  return table;
}

/** One lifecycle over string states. */
export class StateMachine<S extends string, A extends string = never> {
  /** A machine whose transitions are derived from its actions (`transitionsOf`). */
  static fromActions<S extends string, A extends string>(name: string, states: readonly S[], actions: ActionTable<S, A>): StateMachine<S, A> {
    return new StateMachine(name, transitionsOf(states, actions), actions);
  }

  constructor(
    readonly name: string,
    private readonly transitions: TransitionTable<S>,
    private readonly actions: ActionTable<S, A> = {} as ActionTable<S, A>,
  ) {
    this.check();
  }

  /** Every state of the table. */
  get states(): S[] {
    return Object.keys(this.transitions) as S[];
  }

  /** The states `from` may move to. */
  nextStates(from: S): readonly S[] {
    return this.transitions[from]?.to ?? [];
  }

  isFinal(state: S): boolean {
    return this.nextStates(state).length === 0;
  }

  /** Whether `from → to` is a move of the table; staying put is never a move (it makes repeats no-ops). */
  canMove(from: S, to: S): boolean {
    return this.nextStates(from).includes(to);
  }

  /** Whether `action` is allowed in `from`. */
  can(from: S, action: A): boolean {
    const rule = this.actions[action];
    return !!rule && rule.from.includes(from) && this.canMove(from, rule.to);
  }

  /** The actions allowed in `from`. */
  nextActions(from: S): A[] {
    return (Object.keys(this.actions) as A[]).filter((action) => this.can(from, action));
  }

  /** The state `action` leads to from `from`; `IllegalTransitionError` if it is not allowed there. */
  transition(from: S, action: A): S {
    if (!this.can(from, action)) throw new IllegalTransitionError(this.name, action, from);
    return this.actions[action].to;
  }

  private check(): void {
    const states = new Set<string>(this.states);
    const problems: string[] = [];
    for (const [state, { to }] of Object.entries(this.transitions) as [S, { to: readonly S[] }][]) {
      for (const target of to) if (!states.has(target)) problems.push(`${state} → ${target}: unknown state`);
    }
    for (const [action, { from, to }] of Object.entries(this.actions) as [A, { from: readonly S[]; to: S }][]) {
      if (!states.has(to)) problems.push(`${action}: leads to unknown state ${to}`);
      if (from.length === 0) problems.push(`${action}: allowed from no state`);
      for (const state of from) {
        if (!states.has(state)) problems.push(`${action}: from unknown state ${state}`);
        else if (states.has(to) && !this.canMove(state, to)) problems.push(`${action}: ${state} → ${to} is not in the transition table`);
      }
    }
    if (problems.length > 0) throw new InconsistentMachineError(this.name, problems);
  }
}

/** A state of named dimensions, each one string value (an order: `status`, `paymentStatus`, `fulfillmentStatus`). */
export type CompositeState = Record<string, string>;

/** One machine per dimension. */
export type DimensionMachines<S extends CompositeState> = { readonly [K in keyof S]: StateMachine<S[K]> };

/**
 * An action over several dimensions: the values it may start from (a dimension left out may be
 * anything) and the values it sets. A dimension set to the value it already has stays put, so one
 * action can repeat (a second partial refund); any other change must be a move of that dimension's table.
 */
export interface CompositeRule<S extends CompositeState> {
  readonly from: { readonly [K in keyof S]?: readonly S[K][] };
  readonly to: Partial<S>;
}

export type CompositeActionTable<S extends CompositeState, A extends string> = { readonly [action in A]: CompositeRule<S> };

/** A lifecycle of several dimensions moved together by named actions. */
export class CompositeMachine<S extends CompositeState, A extends string> {
  constructor(
    readonly name: string,
    readonly dimensions: DimensionMachines<S>,
    readonly initial: S,
    private readonly actions: CompositeActionTable<S, A>,
  ) {
    this.check();
  }

  /** Whether `action` is allowed from `state`. */
  can(state: S, action: A): boolean {
    const { from } = this.actions[action];
    return (Object.keys(from) as (keyof S)[]).every((dimension) => from[dimension]!.includes(state[dimension]));
  }

  /** The actions allowed from `state`. */
  nextActions(state: S): A[] {
    return (Object.keys(this.actions) as A[]).filter((action) => this.can(state, action));
  }

  /** The state after `action`; `IllegalTransitionError` when the table does not allow it. */
  transition(state: S, action: A): S {
    if (!this.can(state, action)) throw new IllegalTransitionError(this.name, action, state);
    return { ...state, ...this.actions[action].to };
  }

  private check(): void {
    const machine = (dimension: string): StateMachine<string> | undefined => (this.dimensions as Record<string, StateMachine<string>>)[dimension];
    const known = (dimension: string, value: string) => machine(dimension)?.states.includes(value) ?? false;
    const problems: string[] = [];
    for (const [dimension, value] of Object.entries(this.initial)) {
      if (!known(dimension, value)) problems.push(`initial ${dimension} ${value} is not a known value`);
    }
    for (const [action, { from, to }] of Object.entries(this.actions) as [string, CompositeRule<S>][]) {
      for (const [dimension, allowed] of Object.entries(from) as [string, string[]][]) {
        for (const value of allowed) if (!known(dimension, value)) problems.push(`${action} starts from unknown ${dimension} ${value}`);
      }
      if (Object.keys(to).length === 0) problems.push(`${action} changes nothing`);
      for (const [dimension, target] of Object.entries(to) as [string, string][]) {
        if (!known(dimension, target)) {
          problems.push(`${action} leads to unknown ${dimension} ${target}`);
          continue;
        }
        const starts = (from as Record<string, string[] | undefined>)[dimension] ?? machine(dimension)!.states;
        for (const start of starts) {
          if (start !== target && known(dimension, start) && !machine(dimension)!.canMove(start, target)) {
            problems.push(`${action}: ${dimension} ${start} → ${target} is not in ${dimension}'s transition table`);
          }
        }
      }
    }
    if (problems.length > 0) throw new InconsistentMachineError(this.name, problems);
  }
}
