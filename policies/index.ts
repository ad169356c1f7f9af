import { PolicyPack } from "@pulumi/policy";
import { policies } from "./pack";
import { POLICY_PACK_NAME } from "../contract/project";

new PolicyPack(POLICY_PACK_NAME, { policies });
