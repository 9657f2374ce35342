import { label, obj } from "../core/k8s";
import { effective } from "../core/securityContext";
import { isUnknown } from "../core/types";
import { workloadRule } from "../core/workload";

/** Profiles PSS restricted accepts; `Unconfined` and unset are refused. */
const CONFINED = new Set(["RuntimeDefault", "Localhost"]);

export const seccompRuntimeDefault = workloadRule({
    name: "seccomp-runtime-default",
    description: "Every container runs under seccomp RuntimeDefault (or a Localhost profile), set on the pod or the container.",
    reason: "Without a profile containerd runs the process unconfined: every syscall, including the ones behind most container escapes, is available.",
    anchor: "PSS restricted: Seccomp; Polaris linuxHardening; Checkov CKV_K8S_31; kube-score container-seccomp-profile",
    enforcementLevel: "mandatory",
    check: ({ containers, spec }) =>
        containers.flatMap((ref) => {
            const profile = obj(effective(ref, spec, "seccompProfile"));
            if (profile && isUnknown(profile.type)) return [];
            const type = profile?.type;
            return typeof type === "string" && CONFINED.has(type)
                ? []
                : [`${label(ref)} has seccompProfile ${type === undefined ? "unset" : `"${String(type)}"`}; set securityContext.seccompProfile.type: RuntimeDefault on the pod`];
        }),
});
