import { arr, label, obj } from "../core/k8s";
import { containerSecurity } from "../core/securityContext";
import { workloadRule } from "../core/workload";

/** The only capability PSS restricted lets a container add back. */
const ALLOWED_ADD = new Set(["NET_BIND_SERVICE"]);

export const dropAllCapabilities = workloadRule({
    name: "drop-all-capabilities",
    description: "Every container drops ALL Linux capabilities and adds back at most NET_BIND_SERVICE.",
    reason: "The runtime's default set includes NET_RAW (ARP/DNS spoofing inside the node network) and CHOWN/SETUID; a workload needs none of them.",
    anchor: "PSS restricted: Capabilities; Polaris dangerousCapabilities/insecureCapabilities; Checkov CKV_K8S_28, CKV_K8S_37",
    enforcementLevel: "mandatory",
    check: ({ containers }) =>
        containers.flatMap((ref) => {
            const caps = obj(containerSecurity(ref).capabilities) ?? {};
            const out: string[] = [];
            if (!arr(caps.drop).some((c) => typeof c === "string" && c.toUpperCase() === "ALL")) out.push(`${label(ref)} does not drop ALL capabilities`);
            const extra = arr(caps.add).filter((c) => !(typeof c === "string" && ALLOWED_ADD.has(c)));
            if (extra.length > 0) out.push(`${label(ref)} adds capabilities ${extra.join(", ")}; only NET_BIND_SERVICE may be added`);
            return out;
        }),
});
