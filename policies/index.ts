import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./all";

new PolicyPack(POLICY_PACK_NAME, { policies });
