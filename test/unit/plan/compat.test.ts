import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretsOf } from "../../../config/load";
import { type ConfigSource } from "../../../config/source";
import { ROCKETCHAT_MONGODB_VERSION, servicesSchema } from "../../../config/schema/services";
import { backupsSchema } from "../../../config/schema/backups";
import { catalogPresets } from "../../../plan/catalog/presets";
import { archProblems, kubeVersionProblems, maintenanceProblems } from "../../../plan/compat/check";
import { MONGODB_SERIES, PRESET_COMPAT, ROCKETCHAT_DATABASE, SERVICE_COMPAT } from "../../../plan/compat/facts";
import { IMAGE_SUPPORT, imageSupport, parseImageRef, tagVersion } from "../../../plan/compat/images";
import { buildPlan } from "../../../plan/plan";
import { SERVICE_PLANNERS } from "../../../plan/services";
import { node } from "../platform/fixtures";
import { stackSource, stackValues } from "../../helpers/stacks";

type Values = Record<string, any>;

/** The pi stack with `services` merged over its own. */
function piWith(services: Values = {}, extra: Values = {}): ConfigSource {
    const { values } = stackValues("pi");
    return stackSource("pi", { services: { ...(values.services as Values), ...services }, ...extra });
}

function problemsOf(source: ConfigSource): string[] {
    try {
        buildPlan(loadConfig(source), secretsOf(source));
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

const warningsOf = (source: ConfigSource) => buildPlan(loadConfig(source), secretsOf(source)).warnings;

describe("the compatibility table's facts", () => {
    it("describe the charts the schema and the presets pin, so none drifts unchecked", () => {
        const defaults = servicesSchema.parse({});
        for (const p of SERVICE_PLANNERS) {
            const spec = (p.key === "storage" ? { ...defaults.storage } : defaults[p.key]) as never;
            const pinned = p.charts(spec).map((c) => `${c.chart} ${c.version}`);
            expect(SERVICE_COMPAT[p.key].charts.map((c) => `${c.chart} ${c.version}`), p.key).toEqual(pinned);
        }
        for (const [name, preset] of Object.entries(catalogPresets)) {
            expect(PRESET_COMPAT[name as keyof typeof PRESET_COMPAT].charts.map((c) => `${c.chart} ${c.version}`), name).toEqual([`${preset.chart} ${preset.version}`]);
        }
    });

    it("know Rocket.Chat's database floor for the pinned chart and the MongoDB series the default is in", () => {
        expect(ROCKETCHAT_DATABASE[servicesSchema.parse({}).rocketchat.version]).toMatchObject({ app: "8.6.1", mongodb: ">=8.0.0" });
        expect(MONGODB_SERIES).toContain(ROCKETCHAT_MONGODB_VERSION.split(".").slice(0, 2).join("."));
    });

    it("leave no frozen or end-of-life image in the defaults, the dump client included", () => {
        const images = [...Object.values(SERVICE_COMPAT), ...Object.values(PRESET_COMPAT).filter((e) => e !== PRESET_COMPAT.minio)].flatMap((e) => e.images.map((i) => i.image));
        const bad = [...images, backupsSchema.parse(undefined).mongodb.dumpImage].filter((i) => imageSupport(i) && imageSupport(i)!.status !== "maintained");
        expect(bad).toEqual([]);
        // MinIO is frozen upstream and has no maintained successor image: the preset needs acceptUnmaintained.
        expect(imageSupport(PRESET_COMPAT.minio.images[0].image)?.status).toBe("frozen");
    });
});

describe("IMAGE_SUPPORT", () => {
    it("reads references the way a registry names them", () => {
        expect(parseImageRef("docker.io/library/mongo:8.0.26-noble@sha256:abc")).toEqual({ repository: "mongo", tag: "8.0.26-noble", digest: "sha256:abc" });
        expect(parseImageRef("registry.lan:5000/team/app:1.2")).toEqual({ repository: "registry.lan:5000/team/app", tag: "1.2" });
        expect(tagVersion("6.0")).toBe("6.0.0");
        expect(tagVersion("RELEASE.2024-12-18T13-15-44Z")).toBeUndefined();
    });

    it("calls bitnamilegacy frozen, MongoDB 6.0 end of life and MongoDB 8.0 maintained, each with its source", () => {
        expect(imageSupport("docker.io/bitnamilegacy/mongodb:6.0.10-debian-11-r8")).toMatchObject({ status: "frozen", since: "2025-08-28" });
        expect(imageSupport("mongo:6.0.20")).toMatchObject({ status: "eol", since: "2025-07-31" });
        expect(imageSupport("mongo:8.0.26-noble")?.status).toBe("maintained");
        expect(imageSupport("mongo:7.0.37")).toBeUndefined();
        for (const s of IMAGE_SUPPORT) {
            expect(s.source.length, s.repository).toBeGreaterThan(20);
            if (s.status !== "maintained") expect(s.instead, s.repository).toBeDefined();
        }
    });
});

describe("the plan checks the table", () => {
    it("passes the committed pi stack: its k3s pin, its images and their placement", () => {
        expect(problemsOf(piWith()).filter((p) => /kubeVersion|published for|frozen|end of life|MongoDB/.test(p))).toEqual([]);
    });

    it("refuses a chart whose kubeVersion the k3s pin is outside, naming both sides and the fix", () => {
        expect(kubeVersionProblems([{ chart: "cloudnative-pg", repo: "https://cloudnative-pg.github.io/charts", version: "0.29.0", at: "services.postgres.operatorVersion" }], "v1.28.15+k3s1")).toEqual({
            problems: [
                'picluster:services.postgres.operatorVersion = "0.29.0": cloudnative-pg 0.29.0 declares kubeVersion ">=1.29.0-0" (Chart.yaml) and cluster.k3sVersion is v1.28.15+k3s1 (Kubernetes 1.28.15), so Helm would refuse the install; pin a chart release that supports Kubernetes 1.28, or a k3s release inside ">=1.29.0-0"',
            ],
            warnings: [],
        });
        const { values } = stackValues("pi");
        const problems = problemsOf(stackSource("pi", { cluster: { ...(values.cluster as Values), k3sVersion: "v1.24.17+k3s1" } }));
        expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^picluster:services\.monitoring\.version = "88\.5\.3": kube-prometheus-stack 88\.5\.3 declares kubeVersion ">=1\.25\.0-0"/)]));
    });

    it("warns that a chart pinned at a version the table does not record goes unchecked", () => {
        const r = kubeVersionProblems([{ chart: "ollama", repo: "https://helm.otwld.com/", version: "1.78.0", at: "services.ollama.version" }], "v1.33.5+k3s1");
        expect(r.problems).toEqual([]);
        expect(r.warnings).toEqual([expect.stringMatching(/^picluster:services\.ollama\.version = "1\.78\.0": the compatibility table \(plan\/compat\/facts\.ts\) records ollama 1\.77\.0 only/)]);
    });

    it("refuses Rocket.Chat's database set back to MongoDB 6.0, naming the floor, its source and the migration runbook", () => {
        const problems = problemsOf(piWith({ rocketchat: { mongodb: { version: "6.0.20" } } }));
        expect(problems).toEqual([
            expect.stringMatching(
                /^picluster:services\.rocketchat\.mongodb\.version = "6\.0\.20": Rocket\.Chat 8\.6\.1 \(chart rocketchat 7\.0\.2\) needs MongoDB >=8\.0\.0 \(RocketChat\/Rocket\.Chat#35961, #38596\) and would get 6\.0\.20; set it to 8\.0\.26 .*dump, install, restore \(docs\/services\.md, "MongoDB 6\.0 → 8\.0"\)$/,
            ),
        ]);
    });

    it("refuses a MongoDB series the table does not know: no in-place jump of a data directory", () => {
        expect(problemsOf(piWith({ rocketchat: { mongodb: { version: "8.2.11" } } }))).toEqual([expect.stringMatching(/^picluster:services\.rocketchat\.mongodb\.version = "8\.2\.11": MongoDB 8\.2 is not in the compatibility table .*never opened in place/)]);
        expect(problemsOf(piWith({ rocketchat: { mongodb: { version: "8.0.27" } } }))).toEqual([]);
    });

    it("refuses a frozen image a preset's values bring back, and only warns once acceptUnmaintained accepts it", () => {
        const catalog = [{ name: "rabbitmq", preset: "rabbitmq", arch: "arm64", values: { image: { registry: "docker.io", repository: "bitnamilegacy/rabbitmq", tag: "4.1.3-debian-12-r1" } } }];
        expect(problemsOf(piWith({ catalog }))).toEqual([
            expect.stringMatching(
                /^picluster:services\.catalog\[0\] \(preset rabbitmq\) values: image docker\.io\/bitnamilegacy\/rabbitmq:4\.1\.3-debian-12-r1 is frozen since 2025-08-28 \(bitnami\/containers#83267.*For an install that already runs it, accept it with services\.acceptUnmaintained: \["bitnamilegacy\/rabbitmq"\]/,
            ),
        ]);
        const warnings = warningsOf(piWith({ catalog, acceptUnmaintained: ["bitnamilegacy/rabbitmq"] }));
        expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/^picluster:services\.catalog\[0\] \(preset rabbitmq\) values: image .* is frozen .*accepted by services\.acceptUnmaintained/)]));
    });

    it("refuses the 6.0 dump client of an older config, which has no place next to an 8.0 server", () => {
        const { values } = stackValues("pi");
        const backups = { s3: { endpoint: "https://nas.lan:9000", bucket: "picluster-backups", credentials: { accessKeyId: "k", secretAccessKey: "s" } }, mongodb: { dumpImage: "mongo:6.0.20" } };
        const source = stackSource("pi", { services: values.services, backups, k: "AKIA-test", s: "secret-test" }, { secretKeys: ["k", "s"] });
        expect(problemsOf(source)).toEqual([expect.stringMatching(/^picluster:backups\.mongodb\.dumpImage: image mongo:6\.0\.20 is past its end of life since 2025-07-31 .*use mongo:8\.0\.26-noble/)]);
    });

    it("warns about an acceptUnmaintained entry nothing needs", () => {
        expect(maintenanceProblems([{ at: "apps[0].image", image: "redis:7.4.9-alpine" }], ["bitnamilegacy/redis"])).toEqual({
            problems: [],
            warnings: ['picluster:services.acceptUnmaintained lists "bitnamilegacy/redis", which no frozen or end-of-life image in the plan matches; remove it'],
        });
    });

    it("refuses an image the plan may place on an architecture its registry does not publish", () => {
        const nodes = [node({ name: "cp-1", host: "10.0.0.10", role: "server", arch: "amd64" }), node({ name: "pi-1", host: "10.0.0.21", arch: "arm64" })];
        const entry = { charts: [], images: [{ image: "registry.rocket.chat/rocketchat/rocket.chat:8.6.1", arches: ["amd64"] as const }] };
        const demand = (arch?: "amd64" | "arm64") => [{ name: "catalog/chat", cpu: "100m", memory: "128Mi", replicas: 1, arch }];
        expect(archProblems("services.catalog[0]", entry, () => demand(), nodes, "set services.catalog[0].arch: amd64")).toEqual([
            "picluster:services.catalog[0]: image registry.rocket.chat/rocketchat/rocket.chat:8.6.1 is published for amd64 only and the plan may place catalog/chat on arm64 nodes (pi-1); set services.catalog[0].arch: amd64",
        ]);
        expect(archProblems("services.catalog[0]", entry, () => demand("amd64"), nodes, "")).toEqual([]);
    });
});
