/**
 * The engine driver: runs the real Pulumi engine (built by scripts/toolchain.sh) on one
 * stage through its CLI (no Automation API: ./engineRun.ts), offline, with the policy pack.
 *
 *   npm run preview|up|render|refresh|destroy|cancel|recover|rotate-password|adopt -- --stack <stage>
 *
 * State lives in .pulumi-state/ (git-ignored), plugins in .pulumi-home/; no Pulumi Cloud,
 * no update checks, no plugin downloads. The committed stage file is never written: the
 * engine runs with a work copy (`--config-file`) that adds what must not be committed
 * (the encrypted password, the passphrase salt, the render directory).
 * For tests and what-ifs, EngineOptions (or HOTEL_STATE_DIR, HOTEL_STAGE_FILE,
 * HOTEL_RENDER_DIR, HOTEL_POSTGRES_PASSWORD on the command line) move each of them.
 */
export { EngineOptions, RefreshFlags, RunFlags, readStage } from "./options";
export { engineNodeOptions, toolchainBin } from "./toolchain";
export { OpenStage, POLICY_PACK_DIR, openStage } from "./workspace";
export { EngineCommandFailed } from "./engineRun";
export {
  ChangeOutcome,
  DEPLOYED_TAG,
  DestroyRefused,
  adoptable,
  cancel,
  deployedCommit,
  destroy,
  exportState,
  PreviewOutcome,
  preview,
  previewCommand,
  refresh,
  removeLocalStacks,
  stackOutputs,
  statePassword,
  unprotectAll,
  up,
  updateHistory,
} from "./operations";
export { Recovery, recover } from "./recovery";
export { RotationRefused, rotatePassword } from "./rotation";
export { AdoptionRefused } from "./ownership";
