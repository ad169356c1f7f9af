/**
 * Which starting password a run hands the program (ops/engine/secrets.ts): a given one
 * only to a stack with nothing deployed; the state's own to a stack from before the
 * program owned its password; none to a stack whose password resource holds it. The
 * two refusals are the failure windows where a Secret would get a password its role
 * lacks.
 */
import test from "ava";
import type { Deployment } from "@pulumi/pulumi/automation";
import { PASSWORD_OUTPUT, PASSWORD_RESOURCE, PASSWORD_RESOURCE_TYPE } from "../../contract/secrets";
import { StateUnreadable, passwordSeed, seedFromState } from "../../ops/engine/secrets";

const STACK = { type: "pulumi:pulumi:Stack", urn: "urn:pulumi:dev::hotel::pulumi:pulumi:Stack::hotel-dev" };
const CONTAINER = { type: "docker:index/container:Container", urn: "urn:pulumi:dev::hotel::docker:index/container:Container::postgres" };
const PASSWORD = { type: PASSWORD_RESOURCE_TYPE, urn: `urn:pulumi:dev::hotel::${PASSWORD_RESOURCE_TYPE}::${PASSWORD_RESOURCE}` };
const state = (...resources: object[]) => ({ version: 3, deployment: { resources } }) as unknown as Deployment;

const cases: {
  name: string;
  state?: Deployment;
  given?: string;
  statePassword?: string;
  seed: string | undefined | RegExp;
  fromState: boolean;
}[] = [
  { name: "a new stack, a password given", given: "given-1", seed: "given-1", fromState: false },
  { name: "a new stack, none given: the program draws one", seed: undefined, fromState: false },
  { name: "a stack with only its root resource, a password given", state: state(STACK), given: "given-2", seed: "given-2", fromState: false },
  { name: "a deployed stack whose resource holds the password", state: state(STACK, CONTAINER, PASSWORD), seed: undefined, fromState: false },
  {
    name: "a deployed stack whose resource holds the password, and one given",
    state: state(STACK, CONTAINER, PASSWORD),
    given: "given-3",
    seed: /already has its password in its state/,
    fromState: false,
  },
  {
    name: "a deployed stack from before the password resource keeps its state's password",
    state: state(STACK, CONTAINER),
    statePassword: "kept-4",
    seed: "kept-4",
    fromState: true,
  },
  {
    name: "a deployed stack from before the password resource, with no password output",
    state: state(STACK, CONTAINER),
    seed: new RegExp(`holds no PostgreSQL password \\(no password resource, no ${PASSWORD_OUTPUT} output\\)`),
    fromState: true,
  },
];

for (const c of cases) {
  test(`the seed: ${c.name}`, (t) => {
    t.is(seedFromState(c.state), c.fromState, "whether the state's own password is read");
    const known = c.state && { state: c.state, password: c.statePassword };
    if (c.seed instanceof RegExp) {
      const e = t.throws(() => passwordSeed("dev", c.given, known), { instanceOf: StateUnreadable });
      t.regex(e!.message, c.seed);
      t.regex(e!.message, /nothing was changed/);
    } else {
      t.is(passwordSeed("dev", c.given, known), c.seed);
    }
  });
}
