import { ConfigError, loadConfig, secretsOf } from "../../config/load";
import { CapacityError } from "../../plan/capacityText";
import { buildPlan, type StackPlan } from "../../plan/plan";
import { offlineSource } from "./stackFile";

/**
 * The plan of Pulumi.<stack>.yaml, built offline (secrets as stand-ins), as
 * the day-2 tools read it: the plan, or the refusal's message when the stack
 * would not plan (anything else is a bug and is thrown).
 */
export function offlinePlan(root: string, stack: string): { plan: StackPlan } | { refusal: string } {
    try {
        const source = offlineSource(root, stack);
        return { plan: buildPlan(loadConfig(source), secretsOf(source)) };
    } catch (e) {
        if (e instanceof ConfigError || e instanceof CapacityError) return { refusal: e.message };
        throw e;
    }
}
