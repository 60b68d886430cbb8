/**
 * One SQLite connection serves the whole process, so while a transaction is open (it may await between
 * statements) any other statement on the connection would become part of it. Repositories outside the
 * transaction wait for `held` first; the transaction's own repositories have no gate.
 */
export class TransactionGate {
  held: Promise<void> | undefined;
}

/** Resolves once no transaction is open (at once, usually: no transaction, no extra turn of the loop). */
export async function whenIdle(gate: TransactionGate | undefined): Promise<void> {
  while (gate?.held) await gate.held;
}
