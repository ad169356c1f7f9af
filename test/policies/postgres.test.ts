/** PostgreSQL policies (connection budget, pg_stat_statements, slow-query log, indexes) on real program runs. */
import { runMutationTable } from "./policyTable";
import { postgresRows } from "./postgres.cases";

runMutationTable(postgresRows);
