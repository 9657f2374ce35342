import * as pulumi from "@pulumi/pulumi";
import { httpsKubeApi, kubeConnection, type KubeApi } from "../k8s/kubeApi";
import { realClock, waitForRelease, type Clock } from "../k8s/readiness";

/*
 * The bounded wait for a Helm release's workloads, as a resource after the
 * release. Helm installs without waiting and without atomic rollback, so a
 * release that does not become ready keeps its pods, and this resource's
 * error is their diagnosis (components/k8s/diagnosis.ts): the pods that are
 * not ready, each one's reason, a crashed container's last log lines, the
 * events. It calls the API server with the cluster's kubeconfig over
 * Node's https: nothing on the workstation but the program.
 */

/** What the wait is for, as the resource's inputs. */
export interface ReadinessInputs {
    /** The admin kubeconfig (secret in state; plain inside the provider). */
    kubeconfig: string;
    namespace: string;
    release: string;
    /** The release's revision: a new one (an upgrade) waits again. */
    revision: number;
    timeoutSeconds: number;
}

/** Its state: the inputs but the kubeconfig, and what the last wait found. */
export type ReadinessState = Omit<ReadinessInputs, "kubeconfig"> & { summary: string };

const kept = (i: ReadinessInputs, summary: string): ReadinessState => ({ namespace: i.namespace, release: i.release, revision: i.revision, timeoutSeconds: i.timeoutSeconds, summary });

/**
 * The provider: `create` and `update` wait (bounded) and throw the
 * diagnosis on timeout. Only a new revision, namespace or release is a
 * change: a rotated kubeconfig waits for nothing.
 */
export function readinessProvider(apiFor: (kubeconfig: string) => KubeApi = (kc) => httpsKubeApi(kubeConnection(kc)), clock: Clock = realClock): pulumi.dynamic.ResourceProvider {
    const wait = async (i: ReadinessInputs) => kept(i, await waitForRelease(apiFor(i.kubeconfig), i, clock));
    return {
        async create(inputs: ReadinessInputs) {
            return { id: `${inputs.namespace}/${inputs.release}`, outs: await wait(inputs) };
        },
        async diff(_id: string, olds: ReadinessState, news: ReadinessInputs) {
            const changed = (["revision", "namespace", "release", "timeoutSeconds"] as const).filter((k) => olds[k] !== news[k]);
            return { changes: changed.length > 0, ...(changed.includes("namespace") || changed.includes("release") ? { replaces: changed } : {}) };
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

/** A release's workloads ready, or `up` fails with why (`picluster:ReleaseReadiness`). */
export class ReleaseReadiness extends pulumi.dynamic.Resource {
    public declare readonly summary: pulumi.Output<string>;

    constructor(name: string, args: ReleaseReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        super((shared ??= readinessProvider()), name, { ...args, summary: undefined }, opts, "picluster", "ReleaseReadiness");
    }
}
