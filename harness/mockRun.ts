/**
 * Runs the real program (index.ts) for one stage under Pulumi's mocks and returns
 * every resource it registered, with its inputs and options. Used by the program
 * tests and by the offline policy runner (`npm run policy`). Nothing is deployed.
 */
import * as pulumi from "@pulumi/pulumi";
import { RawConfig, readStageConfig } from "../config/stages";
import { NAMESPACE, PROJECT } from "../contract/project";
import { APP_PASSWORD_RESOURCE, PASSWORD_KEY, PASSWORD_RESOURCE_TYPE, REDIS_PASSWORD_RESOURCE, ROTATION_KEY } from "../contract/secrets";

/** Stand-in secret for mock runs; tests assert it never reaches a rendered file. */
export const MOCK_PASSWORD = "mock-pg-password-7f3a9c";
/** The next password the mocked password resource draws when a rotation begins. */
export const MOCK_NEXT_PASSWORD = "mock-pg-next-password-41d2e8";
/** What the other mocked password resources draw (the app role's, Redis's): one each, by resource name. */
export const MOCK_DRAWN_PASSWORDS: Record<string, string> = { [APP_PASSWORD_RESOURCE]: "mock-app-password-5b81d0", [REDIS_PASSWORD_RESOURCE]: "mock-redis-password-c2e947" };

export interface Registered {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  inputs: Record<string, any>;
  /** Input paths the program marked secret. */
  secretPaths: string[];
  parent: string;
  provider: string;
  protect: boolean;
  retainOnDelete: boolean;
  dependencies: string[];
  /** The resource's customTimeouts option ("" where unset). */
  customTimeouts: { create: string; update: string };
}

export interface StageRun {
  stage: string;
  resources: Registered[];
  outputs: Record<string, unknown>;
  error?: Error;
}

export interface RunOptions {
  /** Edits the stage's config before the run (a deep copy). */
  patch?: (config: RawConfig) => void;
  /** Replaces the stage file's config altogether. */
  config?: RawConfig;
  /** The password seed: undefined: MOCK_PASSWORD; null: not set (the resource draws MOCK_PASSWORD under mocks). */
  password?: string | null;
  /** The rotation step (hotel:passwordRotation): "begin" gives the mocked resource a next password. */
  rotation?: string;
  /**
   * Run as `pulumi preview` would: Kubernetes auto-names are unknown until created,
   * so inputs that reference them arrive as unknowns ({ __pulumiUnknown: true }).
   */
  preview?: boolean;
}

/** How a mock run hands over an input whose value is not known yet (preview). */
export const isUnknownInput = (v: unknown): boolean => typeof v === "object" && v !== null && (v as any).__pulumiUnknown === true;
const UNKNOWN_OUTPUT = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let captured: Map<string, Partial<Registered>> = new Map();
let hooked = false;

/** Captures the resource options the mocks' newResource callback does not see. */
function hookMonitor(): void {
  if (hooked) return;
  hooked = true;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    const key = `${req.getType()}::${req.getName()}`;
    captured.set(key, {
      parent: req.getParent(),
      protect: Boolean(req.getProtect()),
      retainOnDelete: Boolean(req.getRetainondelete()),
      dependencies: req.getDependenciesList(),
      provider: req.getProvider(),
      customTimeouts: { create: req.getCustomtimeouts()?.getCreate() ?? "", update: req.getCustomtimeouts()?.getUpdate() ?? "" },
    });
    return original.call(this, req, callback);
  };
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces Pulumi's secret envelopes by their values; lists where they were. */
function unwrapSecrets(value: any, at: string, found: string[]): any {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, found));
  if (value && typeof value === "object") {
    if (value[SECRET_SIG_KEY] === SECRET_SIG) {
      found.push(at || "(root)");
      return unwrapSecrets(value.value, at, []);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, found)]));
  }
  return value;
}

function toRuntimeConfig(raw: RawConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  return out;
}

/**
 * Waits until every resource registration the program started has completed: the
 * SDK's own queue of outstanding RPCs (what `pulumi up` waits on before it exits),
 * not a guess at quiet time.
 */
async function programDone(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs: () => Promise<void> };
  await waitForRPCs();
}

/** Mocks that record every registration (inputs unwrapped, secrets listed) and echo the inputs back as state. */
function recordingMocks(stage: string, preview: boolean, resources: Registered[]): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
      const secretPaths: string[] = [];
      const inputs = unwrapSecrets(args.inputs, "", secretPaths);
      const state = { ...inputs };
      // Kubernetes auto-naming: give objects a name so references resolve.
      if (args.type.startsWith("kubernetes:") && state.metadata && !state.metadata.name) {
        state.metadata = { ...state.metadata, name: preview ? UNKNOWN_OUTPUT : args.name };
      }
      // The password resource's provider runs nowhere under mocks: its outputs are given here.
      if (args.type === PASSWORD_RESOURCE_TYPE) {
        delete inputs.__provider;
        state.current = inputs.seed ?? MOCK_DRAWN_PASSWORDS[args.name] ?? MOCK_PASSWORD;
        state.next = inputs.rotation === "begin" ? MOCK_NEXT_PASSWORD : "";
      }
      // Docker auto-naming happens at check time (known in a preview too).
      if (args.type.startsWith("docker:") && !state.name) state.name = `${args.name}-mock`;
      resources.push({
        type: args.type,
        name: args.name,
        urn: `urn:pulumi:${stage}::${PROJECT}::${args.type}::${args.name}`,
        custom: Boolean(args.custom),
        inputs,
        secretPaths,
        parent: "",
        provider: args.provider ?? "",
        protect: false,
        retainOnDelete: false,
        dependencies: [],
        customTimeouts: { create: "", update: "" },
      });
      return { id: `${args.name}_id`, state };
    },
    call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
  };
}

export async function runStage(stage: string, opts: RunOptions = {}): Promise<StageRun> {
  hookMonitor();
  captured = new Map();
  const raw = opts.config ? structuredClone(opts.config) : readStageConfig(stage);
  opts.patch?.(raw);
  const password = opts.password === undefined ? MOCK_PASSWORD : opts.password;
  const secretKeys: string[] = [];
  if (password !== null) {
    raw[`${NAMESPACE}:${PASSWORD_KEY}`] = password;
    secretKeys.push(`${NAMESPACE}:${PASSWORD_KEY}`);
  }
  if (opts.rotation !== undefined) raw[`${NAMESPACE}:${ROTATION_KEY}`] = opts.rotation;

  const resources: Registered[] = [];
  await pulumi.runtime.setMocks(recordingMocks(stage, Boolean(opts.preview), resources), PROJECT, stage, Boolean(opts.preview));
  pulumi.runtime.setAllConfig(toRuntimeConfig(raw), secretKeys);

  // The program is required afresh for every run (the SDK's mocks apply to what registers next).
  delete require.cache[require.resolve("../index")];
  let outputs: Record<string, unknown> = {};
  let error: Error | undefined;
  try {
    const mod = require("..");
    outputs = await new Promise((resolve) => pulumi.output(mod).apply((v) => resolve(v as Record<string, unknown>)));
  } catch (e) {
    error = e as Error;
  }
  await programDone();
  for (const r of resources) Object.assign(r, captured.get(`${r.type}::${r.name}`) ?? {});
  return { stage, resources, outputs, error };
}

/** Resources by type -> count, for summaries and assertions. */
export function countByType(resources: Registered[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of resources) out[r.type] = (out[r.type] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort());
}
