/** The state backend and passphrase rules (ops/engine/stateBackend.ts), on temp folders. */
import * as fs from "fs";
import * as path from "path";
import test from "ava";
import { PROJECT_DIR } from "../../config/stages";
import { SecretsSetupError, chooseBackend, localPassphraseFile, passphraseEnv, redactUrl } from "../../ops/engine/stateBackend";
import { tempDir } from "../fixtures/files";

const local = chooseBackend("/tmp/state");
const shared = chooseBackend("/tmp/state", "postgres://pulumi:s3cret@db.internal:5432/state");

test("file backend with no passphrase set: a random one, created once in the user's config folder with mode 600, and said where", (t) => {
  const env = { XDG_CONFIG_HOME: tempDir("xdg") };
  const said: string[] = [];
  const first = passphraseEnv(local, env, (s) => said.push(s));
  const file = localPassphraseFile(env);
  t.deepEqual(first, { PULUMI_CONFIG_PASSPHRASE_FILE: file });
  t.false(file.startsWith(PROJECT_DIR));
  t.is(fs.statSync(file).mode & 0o777, 0o600);
  t.true(fs.readFileSync(file, "utf8").length >= 40);
  t.is(said.length, 1);
  t.true(said[0].includes(file));
  const content = fs.readFileSync(file, "utf8");
  t.deepEqual(
    passphraseEnv(local, env, (s) => said.push(s)),
    first,
  );
  t.is(fs.readFileSync(file, "utf8"), content, "kept, not regenerated");
  t.is(said.length, 1);
});

test("a shared backend needs the passphrase from the environment; the message names both variables and hides the URL's password", (t) => {
  const err = t.throws(() => passphraseEnv(shared, { XDG_CONFIG_HOME: tempDir("xdg") }, () => undefined), { instanceOf: SecretsSetupError });
  t.regex(err!.message, /postgres:\/\/pulumi:\*\*\*@db\.internal:5432\/state is shared: set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE/);
  t.notRegex(err!.message, /s3cret/);
  t.deepEqual(
    passphraseEnv(shared, { PULUMI_CONFIG_PASSPHRASE: "team" }, () => undefined),
    { PULUMI_CONFIG_PASSPHRASE: "team" },
  );
  const file = path.join(tempDir("pp"), "passphrase");
  fs.writeFileSync(file, "team", { mode: 0o600 });
  t.deepEqual(
    passphraseEnv(shared, { PULUMI_CONFIG_PASSPHRASE_FILE: file }, () => undefined),
    { PULUMI_CONFIG_PASSPHRASE_FILE: file },
  );
});

test("an empty passphrase is refused, even on a laptop", (t) => {
  t.throws(() => passphraseEnv(local, { PULUMI_CONFIG_PASSPHRASE: "" }, () => undefined), { instanceOf: SecretsSetupError, message: /set but empty/ });
  t.throws(() => passphraseEnv(local, { PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/pp" }, () => undefined), { message: /does not exist/ });
});

test("a passphrase file is refused when empty or readable by others, naming the file and what is allowed", (t) => {
  const dir = tempDir("pp");
  const file = path.join(dir, "passphrase");
  fs.writeFileSync(file, "team-passphrase", { mode: 0o644 });
  t.throws(() => passphraseEnv(shared, { PULUMI_CONFIG_PASSPHRASE_FILE: file }, () => undefined), {
    instanceOf: SecretsSetupError,
    message: `PULUMI_CONFIG_PASSPHRASE_FILE ${file} has mode 644: others can read the passphrase; allowed: readable by its owner only (chmod 600 ${file})`,
  });
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, "\n");
  t.throws(() => passphraseEnv(shared, { PULUMI_CONFIG_PASSPHRASE_FILE: file }, () => undefined), {
    instanceOf: SecretsSetupError,
    message: /is empty: an empty passphrase would leave the stack's secrets readable/,
  });
  t.throws(() => passphraseEnv(shared, { PULUMI_CONFIG_PASSPHRASE_FILE: "" }, () => undefined), { instanceOf: SecretsSetupError, message: /PULUMI_CONFIG_PASSPHRASE_FILE is set but empty/ });
  // The local file too, if someone loosened it.
  const env = { XDG_CONFIG_HOME: tempDir("xdg") };
  passphraseEnv(local, env, () => undefined);
  fs.chmodSync(localPassphraseFile(env), 0o640);
  t.throws(() => passphraseEnv(local, env, () => undefined), { instanceOf: SecretsSetupError, message: /the local passphrase file .* has mode 640/ });
});

test("backends: file by default, shared otherwise", (t) => {
  t.deepEqual(local, { url: "file:///tmp/state", shared: false });
  t.true(shared.shared);
  t.is(redactUrl("postgres://u:p@h/db"), "postgres://u:***@h/db");
  t.is(redactUrl("file:///x"), "file:///x");
});
