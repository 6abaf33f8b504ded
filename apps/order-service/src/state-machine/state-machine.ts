/**
 * A state made of named dimensions, each one string value (an order has `status`, `paymentStatus`
 * and `fulfillmentStatus`); a one-dimension lifecycle is simply `{ status }`.
 */
export type MachineState = Record<string, string>;

/** The values each dimension may take. */
export type StateValues<S extends MachineState> = { readonly [K in keyof S]: readonly S[K][] };

/** One action of the table: the values it may start from (a dimension left out may be anything) and what it sets. */
export interface TransitionRule<S extends MachineState> {
  readonly from: { readonly [K in keyof S]?: readonly S[K][] };
  readonly to: Partial<S>;
}

export type TransitionTable<S extends MachineState, A extends string> = { readonly [action in A]: TransitionRule<S> };

/** An action the current state does not allow; names the action and the state it was tried from. */
export class IllegalTransitionError<S extends MachineState = MachineState> extends Error {
  constructor(
    readonly machine: string,
    readonly action: string,
    readonly from: S,
  ) {
    super(`${machine}: cannot ${action} from ${JSON.stringify(from)}`);
    this.name = 'IllegalTransitionError';
  }
}

/**
 * A lifecycle as data: the values each dimension may take, the initial state and a table of
 * actions. The table is checked when the machine is built (at start), so a typo in a state name
 * stops the service instead of stranding an order later.
 */
export class StateMachine<S extends MachineState, A extends string> {
  constructor(
    readonly name: string,
    readonly values: StateValues<S>,
    readonly initial: S,
    readonly table: TransitionTable<S, A>,
  ) {
    this.check();
  }

  private check(): void {
    const known = (dimension: string, value: unknown) =>
      (this.values as Record<string, readonly unknown[]>)[dimension]?.includes(value) ?? false;
    for (const [dimension, value] of Object.entries(this.initial)) {
      if (!known(dimension, value)) throw new Error(`${this.name}: initial ${dimension} ${value} is not a known value`);
    }
    for (const [action, rule] of Object.entries(this.table) as [string, TransitionRule<S>][]) {
      for (const [dimension, allowed] of Object.entries(rule.from)) {
        for (const value of allowed as string[]) {
          if (!known(dimension, value)) throw new Error(`${this.name}: ${action} starts from unknown ${dimension} ${value}`);
        }
      }
      if (Object.keys(rule.to).length === 0) throw new Error(`${this.name}: ${action} changes nothing`);
      for (const [dimension, value] of Object.entries(rule.to)) {
        if (!known(dimension, value)) throw new Error(`${this.name}: ${action} leads to unknown ${dimension} ${value}`);
      }
    }
  }

  /** Whether `action` is allowed from `state`. */
  can(state: S, action: A): boolean {
    const { from } = this.table[action];
    return (Object.keys(from) as (keyof S)[]).every((dimension) => from[dimension]!.includes(state[dimension]));
  }

  /** The actions allowed from `state`. */
  nextActions(state: S): A[] {
    return (Object.keys(this.table) as A[]).filter((action) => this.can(state, action));
  }

  /** The state after `action`; throws IllegalTransitionError when the table does not allow it. */
  transition(state: S, action: A): S {
    if (!this.can(state, action)) throw new IllegalTransitionError(this.name, action, state);
    return { ...state, ...this.table[action].to };
  }
}
