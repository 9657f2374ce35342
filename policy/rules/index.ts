import type { Rule } from "../core/types";
import { dropAllCapabilities } from "./capabilities";
import { replicatedHasPdb } from "./disruptionBudget";
import { envSecretsByReference } from "./envSecrets";
import { helmReleasePinned } from "./helmPinned";
import { helmNoInlineCredentials } from "./helmSecrets";
import { noHostNamespaces } from "./hostNamespaces";
import { noHostPath } from "./hostPath";
import { hpaWithoutReplicas } from "./hpaReplicas";
import { imagePinned } from "./imagePinned";
import { namespaceNetworkPolicy } from "./networkPolicy";
import { noLatest } from "./noLatest";
import { nonRoot } from "./nonRoot";
import { namespacePodSecurity } from "./podSecurityLabels";
import { noPrivilegeEscalation } from "./privilegeEscalation";
import { noPrivileged } from "./privileged";
import { probes } from "./probes";
import { readOnlyRootFilesystem } from "./readOnlyRootFilesystem";
import { explicitKubernetesProvider } from "./provider";
import { remoteCommandKey } from "./remoteCommandKey";
import { containerResources } from "./resources";
import { seccompRuntimeDefault } from "./seccomp";
import { noAutomountedToken } from "./serviceAccountToken";
import { replicatedSpreads } from "./spread";
import { routeTls } from "./routeTls";
import { nodePortOptIn } from "./nodePortOptIn";
import { uiAuth } from "./uiAuth";

/** Every rule of the pack, in the order docs/policy.md lists them. */
export const allRules: readonly Rule[] = [
    // Workloads the program defines itself
    imagePinned,
    containerResources,
    probes,
    nonRoot,
    noPrivilegeEscalation,
    dropAllCapabilities,
    seccompRuntimeDefault,
    noHostNamespaces,
    noHostPath,
    noPrivileged,
    envSecretsByReference,
    readOnlyRootFilesystem,
    noAutomountedToken,
    replicatedHasPdb,
    replicatedSpreads,
    hpaWithoutReplicas,
    // Namespaces
    namespaceNetworkPolicy,
    namespacePodSecurity,
    // The front door
    routeTls,
    uiAuth,
    nodePortOptIn,
    // The program itself
    helmReleasePinned,
    helmNoInlineCredentials,
    explicitKubernetesProvider,
    remoteCommandKey,
    noLatest,
];

export const ruleNames: ReadonlySet<string> = new Set(allRules.map((r) => r.name));
