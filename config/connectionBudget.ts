/**
 * Quick win 2's hard limit: every process may open pool_size + max_overflow
 * connections, and all of them together must fit in what PostgreSQL accepts from
 * non-superusers.
 */
export interface BudgetInputs {
  replicas: number;
  workers: number;
  poolSize: number;
  maxOverflow: number;
  /** Exporters, migration job, admin sessions. */
  otherConnections: number;
  maxConnections: number;
  superuserReservedConnections: number;
}

export interface Budget {
  perProcess: number;
  app: number;
  total: number;
  available: number;
  fits: boolean;
}

export function connectionBudget(b: BudgetInputs): Budget {
  const perProcess = b.poolSize + b.maxOverflow;
  const app = b.replicas * b.workers * perProcess;
  const total = app + b.otherConnections;
  const available = b.maxConnections - b.superuserReservedConnections;
  return { perProcess, app, total, available, fits: total <= available };
}
