import type { Arch } from "../../config/arch";
import type { catalogPresetNames } from "../../config/schema/services";
import { MONGODB_EXPORTER_IMAGE } from "../services/rocketchat";
import type { BuiltinServiceKey } from "../services/service";

/*
 * The compatibility table's facts, one entry per built-in service and
 * catalog preset, each with its upstream source. Recorded here (from the
 * chart cache, ~/.cache/picluster-charts, and upstream pages), never read
 * at plan time. A chart pinned at another version than the one recorded is
 * not checked (a warning says so): add its facts here when you bump it.
 */

/** A kubeVersion Helm checks before installing: the chart's own or a subchart's (Chart.yaml). */
export interface KubeRange {
    range: string;
    /** `chart version`, or `subchart version (in chart)`. */
    declaredBy: string;
}

/** One pinned chart. */
export interface ChartFacts {
    chart: string;
    version: string;
    /** Every kubeVersion Helm checks for it; empty when none is declared. */
    kubeVersion: KubeRange[];
}

/** One image the service runs and the architectures its registry publishes for that tag. */
export interface ImageFacts {
    image: string;
    arches: readonly Arch[];
    /** The capacity demand whose pods run it (a name, or a prefix ending in `/`); absent for presets: the entry's own demand. */
    runs?: string;
}

export interface CompatEntry {
    charts: ChartFacts[];
    images: ImageFacts[];
}

const BOTH: readonly Arch[] = ["amd64", "arm64"];
const none = (chart: string, version: string): ChartFacts => ({ chart, version, kubeVersion: [] });
const own = (chart: string, version: string, range: string): ChartFacts => ({ chart, version, kubeVersion: [{ range, declaredBy: `${chart} ${version}` }] });

/** Facts per built-in service, at the versions config/schema pins. */
export const SERVICE_COMPAT: Record<BuiltinServiceKey, CompatEntry> = {
    storage: {
        // Chart.yaml of longhorn 1.12.1 (charts.longhorn.io); longhornio/* images are built for amd64 and arm64 (longhorn/longhorn README, "arm64 support").
        charts: [own("longhorn", "1.12.1", ">=1.25.0-0")],
        images: ["longhorn-manager", "longhorn-engine", "longhorn-instance-manager", "longhorn-share-manager", "longhorn-ui", "csi-attacher", "csi-provisioner", "csi-node-driver-registrar", "csi-resizer", "csi-snapshotter", "livenessprobe"].map((i) => ({
            image: `longhornio/${i}`,
            arches: BOTH,
            runs: "longhorn/",
        })),
    },
    nvidiaDevicePlugin: {
        // NVIDIA/k8s-device-plugin v0.17.1 deployments/helm/nvidia-device-plugin/Chart.yaml; nvcr.io image is multi-arch (amd64, arm64).
        charts: [own("nvidia-device-plugin", "0.17.1", ">= 1.10.0-0")],
        images: [{ image: "nvcr.io/nvidia/k8s-device-plugin:v0.17.1", arches: BOTH, runs: "nvidia-device-plugin" }],
    },
    ollama: {
        // Chart.yaml of ollama 1.77.0 (helm.otwld.com); ollama/ollama publishes linux/amd64 and linux/arm64.
        charts: [own("ollama", "1.77.0", "^1.16.0-0")],
        images: [{ image: "ollama/ollama:0.32.15", arches: BOTH, runs: "ollama" }],
    },
    monitoring: {
        // Chart.yaml of kube-prometheus-stack 88.5.3 and its grafana 12.11.1 subchart; every image below is a multi-arch index (prometheus/*, prometheus-operator, grafana, kube-state-metrics, kiwigrid, jkroepke).
        charts: [
            {
                chart: "kube-prometheus-stack",
                version: "88.5.3",
                kubeVersion: [
                    { range: ">=1.25.0-0", declaredBy: "kube-prometheus-stack 88.5.3" },
                    { range: "^1.25.0-0", declaredBy: "grafana 12.11.1 (in kube-prometheus-stack 88.5.3)" },
                ],
            },
        ],
        images: [
            "quay.io/prometheus/prometheus:v3.14.0-distroless",
            "quay.io/prometheus-operator/prometheus-operator:v0.93.1",
            "docker.io/grafana/grafana:13.2.0",
            "quay.io/kiwigrid/k8s-sidecar:2.10.1",
            "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.20.0",
            "quay.io/prometheus/node-exporter:v1.12.1-distroless",
            "ghcr.io/jkroepke/kube-webhook-certgen:1.8.7",
            // The CRD upgrade hook Job: busybox (docker-library's official image, multi-arch) and kubectl at the
            // cluster's version (registry.k8s.io/kubectl, built for amd64 and arm64 since Kubernetes 1.28).
            "docker.io/busybox:1.37.0",
            "registry.k8s.io/kubectl",
        ].map((image) => ({ image, arches: BOTH, runs: "monitoring/" })),
    },
    postgres: {
        // Chart.yaml of cloudnative-pg 0.29.0 and cluster 0.8.1; CloudNativePG's operator and postgresql images are built for amd64 and arm64.
        charts: [own("cloudnative-pg", "0.29.0", ">=1.29.0-0"), own("cluster", "0.8.1", ">=1.29.0-0")],
        images: [
            { image: "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0", arches: BOTH, runs: "postgres/cnpg-operator" },
            { image: "ghcr.io/cloudnative-pg/postgresql", arches: BOTH, runs: "postgres/instance" },
        ],
    },
    rocketchat: {
        // Chart.yaml of rocketchat 7.0.2 declares no kubeVersion (nor do its subcharts; mongodb is off).
        charts: [none("rocketchat", "7.0.2")],
        images: [
            // amd64 only: RocketChat/Rocket.Chat#37647.
            { image: "registry.rocket.chat/rocketchat/rocket.chat:8.6.1", arches: ["amd64"], runs: "rocketchat" },
            // docker-library/mongo versions.json @2c69a57: 8.0 on noble for amd64 and arm64v8 (arm64 needs ARMv8.2-A: a Pi 5, not a Pi 4).
            { image: "mongo:8.0.26-noble", arches: BOTH, runs: "rocketchat/mongodb" },
            // percona/mongodb_exporter README: multi-arch linux/amd64 + linux/arm64.
            { image: MONGODB_EXPORTER_IMAGE, arches: BOTH, runs: "rocketchat/mongodb-exporter" },
        ],
    },
};

/** What Rocket.Chat needs of its database, per chart version (chart → app version → MongoDB floor). */
export const ROCKETCHAT_DATABASE: Record<string, { app: string; mongodb: string; source: string }> = {
    // Rocket.Chat 8.0 dropped MongoDB 5 and 6 and refuses them at startup (RocketChat/Rocket.Chat#35961);
    // from 8.2 on the documented minimum is 8.0 (#38596, #41022); 8.5-8.7 release notes: "Engine versions: MongoDB 8.0".
    "7.0.2": { app: "8.6.1", mongodb: ">=8.0.0", source: "RocketChat/Rocket.Chat#35961, #38596" },
};

/**
 * The MongoDB series services.rocketchat.mongodb.version may name: those this
 * table has image facts for. Another series is refused: changing series on an
 * existing data directory is MongoDB's one-release-at-a-time upgrade, which
 * the program does not run; the dump/restore runbook does it instead.
 */
export const MONGODB_SERIES = ["8.0"] as const;

/** Facts per catalog preset, at the versions plan/catalog pins. */
export const PRESET_COMPAT: Record<(typeof catalogPresetNames)[number], CompatEntry> = {
    // Chart.yaml of jupyterhub 4.3.3; z2jh images are built for amd64 and arm64 (chartpress --platform).
    jupyterhub: {
        charts: [own("jupyterhub", "4.3.3", ">=1.28.0-0")],
        images: ["quay.io/jupyterhub/k8s-hub:4.3.3", "quay.io/jupyterhub/configurable-http-proxy:5.2.0", "quay.io/jupyterhub/k8s-singleuser-sample:4.3.3"].map((image) => ({ image, arches: BOTH })),
    },
    // CloudPirates-io/helm-charts tag rabbitmq-0.21.18 charts/rabbitmq/Chart.yaml (no kubeVersion) and values.yaml (images);
    // the official rabbitmq image: amd64, arm32v7, arm64v8, ppc64le, s390x (docker-library/official-images library/rabbitmq); busybox likewise.
    rabbitmq: {
        charts: [none("rabbitmq", "0.21.18")],
        images: [
            { image: "docker.io/rabbitmq:4.3.5-management", arches: BOTH },
            { image: "docker.io/busybox:1.37.0", arches: BOTH },
        ],
    },
    // Chart.yaml of headlamp 0.33.0 (no kubeVersion); ghcr.io/headlamp-k8s/headlamp is multi-arch.
    headlamp: { charts: [none("headlamp", "0.33.0")], images: [{ image: "ghcr.io/headlamp-k8s/headlamp:v0.33.0", arches: BOTH }] },
    // twuni/docker-registry.helm v2.2.3 Chart.yaml (no kubeVersion); the official registry image is multi-arch.
    registry: { charts: [none("docker-registry", "2.2.3")], images: [{ image: "registry:2.8.3", arches: BOTH }] },
    // Chart.yaml of minio 5.4.0 (no kubeVersion); quay.io/minio images: amd64, arm64, ppc64le; frozen (plan/compat/images.ts).
    minio: {
        charts: [none("minio", "5.4.0")],
        images: [
            { image: "quay.io/minio/minio:RELEASE.2024-12-18T13-15-44Z", arches: BOTH },
            { image: "quay.io/minio/mc:RELEASE.2024-11-21T17-21-54Z", arches: BOTH },
        ],
    },
};
