/** Which states a state may move to; a final state has `to: []`. */
export type TransitionTable<S extends string> = Record<S, { to: readonly S[] }>;

/** What an action does: the states it may start from and the one it leads to. */
export type ActionTable<S extends string, A extends string> = Record<A, { from: readonly S[]; to: S }>;

/** An action that the current state does not allow; nothing changed. */
export class IllegalTransitionError<S extends string = string, A extends string = string> extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: S,
    readonly action: A,
  ) {
    super(`cannot ${action} from ${from}`);
  }
}

/**
 * One generic machine over a transition table (the data) and named actions. The tables are checked
 * when the machine is built, so a typo in them stops the service at start instead of in production.
 */
export class StateMachine<S extends string, A extends string> {
  constructor(
    readonly name: string,
    private readonly transitions: TransitionTable<S>,
    private readonly actions: ActionTable<S, A>,
  ) {
    this.check();
  }

  /** The states `from` may move to. */
  nextStates(from: S): readonly S[] {
    return this.transitions[from]?.to ?? [];
  }

  isFinal(state: S): boolean {
    return this.nextStates(state).length === 0;
  }

  /** Whether `action` is allowed in `from`. */
  can(from: S, action: A): boolean {
    const rule = this.actions[action];
    return !!rule && rule.from.includes(from) && this.nextStates(from).includes(rule.to);
  }

  /** The state `action` leads to from `from`; `IllegalTransitionError` if it is not allowed there. */
  transition(from: S, action: A): S {
    if (!this.can(from, action)) throw new IllegalTransitionError(from, action);
    return this.actions[action].to;
  }

  private check(): void {
    const states = new Set(Object.keys(this.transitions));
    const problems: string[] = [];
    for (const [state, { to }] of Object.entries(this.transitions) as [S, { to: readonly S[] }][]) {
      for (const target of to) if (!states.has(target)) problems.push(`${state} → ${target}: unknown state`);
    }
    for (const [action, { from, to }] of Object.entries(this.actions) as [A, { from: readonly S[]; to: S }][]) {
      if (!states.has(to)) problems.push(`${action}: leads to unknown state ${to}`);
      if (from.length === 0) problems.push(`${action}: allowed from no state`);
      for (const state of from) {
        if (!states.has(state)) problems.push(`${action}: from unknown state ${state}`);
        else if (!this.transitions[state].to.includes(to)) problems.push(`${action}: ${state} → ${to} is not in the transition table`);
      }
    }
    if (problems.length > 0) throw new Error(`state machine ${this.name} is inconsistent: ${problems.join('; ')}`);
  }
}
