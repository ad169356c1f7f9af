import { PolicyPack } from "@pulumi/policy";
import { POLICY_PACK_NAME, policies } from "./pack";

new PolicyPack(POLICY_PACK_NAME, { policies });
