/** A lifecycle as data: each state lists the states it may move to; final states list none. */
export type TransitionTable<S extends string> = Readonly<Record<S, readonly S[]>>;

/** Thrown at start when a table names a state it does not define. */
export class TransitionTableError extends Error {}

/** A checked transition table: `can(from, to)` answers whether a move is allowed. */
export class StateMachine<S extends string> {
  constructor(
    readonly name: string,
    private readonly table: TransitionTable<S>,
  ) {
    for (const [from, targets] of Object.entries(table) as [S, readonly S[]][]) {
      for (const to of targets) {
        if (!(to in table)) throw new TransitionTableError(`${name}: ${from} → ${to} names an unknown state`);
      }
    }
  }

  /** Whether `from → to` is a move of the table; staying put is never a move (it makes repeats no-ops). */
  can(from: S, to: S): boolean {
    return this.table[from]?.includes(to) ?? false;
  }
}
