/**
 * The password resources' dynamic provider, as the module the engine stores in each
 * resource's `__provider` input and the dynamic provider host loads
 * (`require-from-string`, then `exports.handler()`). components/password.ts reads this
 * file's text; nothing imports it.
 *
 * Why a module's text and not an object the SDK serializes: the SDK's closure serializer
 * loads TypeScript to parse the function it serializes, about 0.65 s of one core in every
 * preview and up, on the way to every Secret (docs/ENGINE.md, "How fast"). A text also
 * cannot capture anything by accident: it must require what it uses itself.
 *
 * Plain JavaScript: the host runs the text as it is, with no transpiler.
 */
"use strict";

const draw = () => require("crypto").randomBytes(24).toString("hex");

const provider = {
  /**
   * Only reads `seed` when the resource is created: a stack from before keeps its password.
   * `next` is "" when no rotation is pending, never absent: a preview treats an output the
   * state lacks as unknown, and everything that reads the password would show as changing
   * in every preview.
   */
  async create(inputs) {
    return { id: "postgres-password", outs: { current: inputs.seed || draw(), next: "" } };
  },
  async diff(_id, olds, news) {
    // A starting password only ever seeds a new resource: one that disagrees with the stored password would split the consumers from the role.
    if (news.seed && news.seed !== olds.current)
      throw new Error("hotel:postgresPassword is set, but the stack already holds another password: a starting password applies only to a new stack; unset it");
    const changes = (news.rotation === "begin" && !olds.next) || (news.rotation === "commit" && Boolean(olds.next));
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id, olds, news) {
    if (news.rotation === "begin") return { outs: { current: olds.current, next: olds.next || draw() } };
    if (news.rotation === "commit" && olds.next) return { outs: { current: olds.next, next: "" } };
    return { outs: olds };
  },
};

exports.handler = () => provider;
