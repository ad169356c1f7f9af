/** PostgreSQL policies (connection budget, pg_stat_statements, slow-query log, indexes) on real program runs. */
import { runMutationTable } from "../../test/fixtures/policyTable";
import { postgresRows } from "./cases";


runMutationTable(postgresRows);
