import { imagePinProblem } from "../../config/schema/common";
import { label } from "../core/k8s";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

/** Same definition of "pinned" as the config contract (config/schema/common.ts). */
export const imagePinned = workloadRule({
    name: "image-pinned",
    description: "Every container image is pinned to an exact version tag or a digest (no latest, no missing tag).",
    reason: "A floating or missing tag pulls whatever is newest on the next reschedule: a Pi reboot silently upgrades (or breaks) the workload, and a preview no longer tells the truth.",
    anchor: "kube-score container-image-tag; Polaris tagNotSpecified; Checkov CKV_K8S_14",
    enforcementLevel: "mandatory",
    check: ({ containers }) =>
        containers.flatMap((ref) => {
            const image = ref.c.image;
            if (isUnknown(image)) return [];
            if (typeof image !== "string") return [`${label(ref)} has no image`];
            const problem = imagePinProblem(image);
            return problem ? [`${label(ref)} image "${image}" ${problem}`] : [];
        }),
});
