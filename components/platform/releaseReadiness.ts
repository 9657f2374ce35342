import * as pulumi from "@pulumi/pulumi";
import { httpsKubeApi, kubeConnection, type KubeApi } from "../k8s/kubeApi";
import { realClock, waitForRelease, waitForWorkloads, type Clock, type WorkloadRef } from "../k8s/readiness";

/*
 * The bounded wait for a Helm release's workloads, as a resource after the
 * release. Helm installs without waiting and without atomic rollback, so a
 * release that does not become ready keeps its pods, and this resource's
 * error is their diagnosis (components/k8s/diagnosis.ts): the pods that are
 * not ready, each one's reason, a crashed container's last log lines, the
 * events. It calls the API server with the cluster's kubeconfig over
 * Node's https: nothing on the workstation but the program.
 */

/** What the wait is for, as the resource's inputs: a release's workloads, or named ones. */
export interface ReadinessInputs {
    /** The admin kubeconfig (secret in state; plain inside the provider). */
    kubeconfig: string;
    namespace: string;
    /** A Helm release: its workloads are read from Helm's record. */
    release?: string;
    /** Or the workloads themselves (a plain Deployment). */
    workloads?: WorkloadRef[];
    /** The release's revision, or the workloads' generations: a new one (an upgrade, a rollout) waits again. */
    revision: number | string;
    timeoutSeconds: number;
}

/** Its state: the inputs but the kubeconfig, and what the last wait found. */
export type ReadinessState = Omit<ReadinessInputs, "kubeconfig"> & { summary: string };

const kept = (i: ReadinessInputs, summary: string): ReadinessState => ({
    namespace: i.namespace,
    ...(i.release !== undefined ? { release: i.release } : {}),
    ...(i.workloads !== undefined ? { workloads: i.workloads } : {}),
    revision: i.revision,
    timeoutSeconds: i.timeoutSeconds,
    summary,
});

/** The wait for plain workloads: named in the error as kind and name. */
function workloadWait(api: KubeApi, i: ReadinessInputs, clock: Clock): Promise<string> {
    const refs = i.workloads ?? [];
    const what = `${refs.map((r) => `${r.kind} ${r.name}`).join(", ")} (namespace ${i.namespace})`;
    return waitForWorkloads(api, { namespace: i.namespace, what, refs, timeoutSeconds: i.timeoutSeconds, fix: "fix the cause and run up again" }, clock);
}

/**
 * The provider: `create` and `update` wait (bounded) and throw the
 * diagnosis on timeout. Only a new revision, namespace or release is a
 * change: a rotated kubeconfig waits for nothing.
 */
export function readinessProvider(apiFor: (kubeconfig: string) => KubeApi = (kc) => httpsKubeApi(kubeConnection(kc)), clock: Clock = realClock): pulumi.dynamic.ResourceProvider {
    const wait = async (i: ReadinessInputs) => {
        const api = apiFor(i.kubeconfig);
        return kept(i, i.release !== undefined ? await waitForRelease(api, { namespace: i.namespace, release: i.release, timeoutSeconds: i.timeoutSeconds }, clock) : await workloadWait(api, i, clock));
    };
    return {
        async create(inputs: ReadinessInputs) {
            return { id: `${inputs.namespace}/${inputs.release ?? (inputs.workloads ?? []).map((w) => w.name).join(",")}`, outs: await wait(inputs) };
        },
        async diff(_id: string, olds: ReadinessState, news: ReadinessInputs) {
            const same = (k: "revision" | "namespace" | "release" | "workloads" | "timeoutSeconds") => JSON.stringify(olds[k]) === JSON.stringify(news[k]);
            const changed = (["revision", "namespace", "release", "workloads", "timeoutSeconds"] as const).filter((k) => !same(k));
            const moved = changed.filter((k) => k === "namespace" || k === "release" || k === "workloads");
            return { changes: changed.length > 0, ...(moved.length > 0 ? { replaces: moved } : {}) };
        },
        async update(_id: string, _olds: ReadinessState, news: ReadinessInputs) {
            return { outs: await wait(news) };
        },
    };
}

// One provider object for every release: Pulumi serialises it once per program run.
let shared: pulumi.dynamic.ResourceProvider | undefined;

export interface ReleaseReadinessArgs {
    kubeconfig: pulumi.Input<string>;
    namespace: pulumi.Input<string>;
    release: pulumi.Input<string>;
    revision: pulumi.Input<number>;
    timeoutSeconds: pulumi.Input<number>;
}

export interface WorkloadReadinessArgs {
    kubeconfig: pulumi.Input<string>;
    namespace: string;
    /** Deployments (or StatefulSets, DaemonSets) the program applies with `pulumi.com/skipAwait`. */
    workloads: WorkloadRef[];
    /** Their `metadata.generation`: a new rollout waits again. */
    generation: pulumi.Input<number>;
    timeoutSeconds: number;
}

/**
 * Plain workloads ready (`picluster:WorkloadReadiness`), or `up` fails with
 * the same diagnosis as a release's: the provider's own await (whose error
 * names a pod's waiting reason but no logs or events) is off for them.
 */
export class WorkloadReadiness extends pulumi.dynamic.Resource {
    public declare readonly summary: pulumi.Output<string>;

    constructor(name: string, args: WorkloadReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        const { generation, ...rest } = args;
        super((shared ??= readinessProvider()), name, { ...rest, revision: generation, summary: undefined }, opts, "picluster", "WorkloadReadiness");
    }
}

/** A release's workloads ready, or `up` fails with why (`picluster:ReleaseReadiness`). */
export class ReleaseReadiness extends pulumi.dynamic.Resource {
    public declare readonly summary: pulumi.Output<string>;

    constructor(name: string, args: ReleaseReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        super((shared ??= readinessProvider()), name, { ...args, summary: undefined }, opts, "picluster", "ReleaseReadiness");
    }
}
