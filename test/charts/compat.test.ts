import { execFileSync } from "child_process";
import * as fs from "fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as YAML from "yaml";
import { satisfies } from "../../config/semver";
import { servicesSchema } from "../../config/schema/services";
import { catalogPresets } from "../../plan/catalog/presets";
import { PRESET_COMPAT, ROCKETCHAT_DATABASE, SERVICE_COMPAT, type ChartFacts } from "../../plan/compat/facts";
import { imageSupport, parseImageRef, tagVersion } from "../../plan/compat/images";
import { SERVICE_PLANNERS } from "../../plan/services";
import { chartTgz } from "../../scripts/charts/cache";
import { objectsOf, podOf } from "../../scripts/charts/checks";
import type { Manifest } from "../../scripts/charts/releases";
import { renderInChildAsync } from "../../scripts/charts/stacks";
import { prerequisites, ROOT } from "./layer";

/*
 * The compatibility table against what the chart layer renders: Rocket.Chat
 * on a maintained MongoDB >= 8.0, its exporter scraped once, no frozen or
 * end-of-life image anywhere in pi, and the table's kubeVersion facts equal
 * to the Chart.yaml files in the chart cache (read here, never at plan time).
 */

type Rendered = Map<string, string>;
let pi: Rendered;

beforeAll(async () => {
    prerequisites();
    pi = await renderInChildAsync(ROOT, "pi", { manifests: true });
});

const images = (m: Manifest): string[] => {
    const spec = podOf(m)?.spec as { containers?: { image: string }[]; initContainers?: { image: string }[] } | undefined;
    return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].map((c) => c.image);
};
const find = (files: Rendered, kind: string, name: string) => objectsOf(files).find(({ m }) => m.kind === kind && m.metadata.name === name)?.m as (Manifest & Record<string, any>) | undefined;

/** Rocket.Chat's database as rendered: the problems that would stop it from starting. */
function rocketchatDatabaseProblems(files: Rendered): string[] {
    const problems: string[] = [];
    const sts = find(files, "StatefulSet", "rocketchat-mongo");
    if (!sts) return ["no StatefulSet rocketchat-mongo"];
    const image = images(sts).find((i) => parseImageRef(i).repository === "mongo") ?? "(none)";
    const version = tagVersion(parseImageRef(image).tag);
    const floor = ROCKETCHAT_DATABASE["7.0.2"].mongodb;
    if (!version || !satisfies(version, floor)) problems.push(`MongoDB image ${image} is not ${floor}`);
    if (imageSupport(image)?.status !== "maintained") problems.push(`MongoDB image ${image} is ${imageSupport(image)?.status ?? "not in IMAGE_SUPPORT"}`);
    const bitnami = objectsOf(files).filter(({ source, m }) => source === "rocketchat" && images(m).some((i) => i.includes("bitnami")));
    if (bitnami.length > 0) problems.push(`the chart still runs Bitnami images: ${bitnami.map(({ m }) => `${m.kind} ${m.metadata.name}`).join(", ")}`);
    return problems;
}

describe("Rocket.Chat's database in the rendered pi stack", () => {
    it("is a MongoDB >= 8.0 from a maintained image, and the chart runs no Bitnami MongoDB", () => {
        expect(rocketchatDatabaseProblems(pi)).toEqual([]);
        const chat = objectsOf(pi).find(({ source, m }) => source === "rocketchat" && m.kind === "Deployment")?.m as Manifest & Record<string, any>;
        const env = (chat.spec.template.spec.containers[0].env as { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]).find((e) => e.name === "MONGO_URL");
        expect(env?.valueFrom?.secretKeyRef).toEqual({ name: "rocketchat-mongo-uri", key: "mongo-uri" });
    });

    it("fails when the database is set back to MongoDB 6.0", () => {
        const broken = new Map(pi);
        const file = "k8s/rocketchat/statefulset-rocketchat-mongo.yaml";
        broken.set(file, pi.get(file)!.replace(/mongo:8\.0\.\d+-noble/g, "mongo:6.0.20-noble"));
        expect(rocketchatDatabaseProblems(broken)).toEqual(["MongoDB image mongo:6.0.20-noble is not >=8.0.0", "MongoDB image mongo:6.0.20-noble is eol"]);
    });

    it("has its exporter scraped once: the chart's ServiceMonitor selects the MongoDB Service's metrics port, its PodMonitor not the MongoDB pod", () => {
        const svc = find(pi, "Service", "rocketchat-mongo")!;
        const pod = find(pi, "StatefulSet", "rocketchat-mongo")!.spec.template.metadata.labels as Record<string, string>;
        const selects = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);
        const monitors = objectsOf(pi).filter(({ m }) => m.kind === "ServiceMonitor" || m.kind === "PodMonitor").map(({ m }) => m as Manifest & Record<string, any>);
        const onMongo = monitors.filter((m) => (m.kind === "ServiceMonitor" ? selects(m.spec.selector.matchLabels, svc.metadata.labels!) : selects(m.spec.selector.matchLabels, pod)));
        expect(onMongo.map((m) => `${m.kind} ${m.metadata.name}`)).toEqual(["ServiceMonitor rocketchat-mongodb"]);
        const port = onMongo[0].spec.endpoints[0].port;
        expect((svc.spec.ports as { name: string }[]).map((p) => p.name)).toContain(port);
    });
});

describe("the images the pi stack renders", () => {
    it("are neither frozen nor past their end of life", () => {
        const bad = objectsOf(pi).flatMap(({ source, m }) => images(m).filter((i) => imageSupport(i) && imageSupport(i)!.status !== "maintained").map((i) => `${source}: ${m.kind} ${m.metadata.name}: ${i}`));
        expect(bad).toEqual([]);
    });

    it("are all in the compatibility table of the service or preset that runs them, so their architectures are checked", () => {
        const entries: Record<string, string[]> = {
            ollama: SERVICE_COMPAT.ollama.images.map((i) => i.image),
            cnpg: SERVICE_COMPAT.postgres.images.map((i) => i.image),
            postgres: SERVICE_COMPAT.postgres.images.map((i) => i.image),
            monitoring: SERVICE_COMPAT.monitoring.images.map((i) => i.image),
            rocketchat: SERVICE_COMPAT.rocketchat.images.map((i) => i.image),
            program: SERVICE_COMPAT.rocketchat.images.map((i) => i.image),
            ...Object.fromEntries(Object.entries(PRESET_COMPAT).map(([k, e]) => [k, e.images.map((i) => i.image)])),
        };
        const repo = (i: string) => parseImageRef(i).repository;
        const missing = objectsOf(pi).flatMap(({ source, m }) => {
            // The table covers the built-in services and the presets (the LAN pieces have no entry yet).
            if (!(source in entries)) return [];
            const known = new Set(entries[source].map(repo));
            // The program's own objects outside Rocket.Chat (apps, agents, backups) take images from the config.
            if (source === "program" && m.metadata?.namespace !== "rocketchat") return [];
            return images(m).filter((i) => !known.has(repo(i))).map((i) => `${source}: ${m.kind} ${m.metadata.name}: ${i}`);
        });
        expect(missing).toEqual([]);
    });
});

/** Every Chart.yaml inside a cached chart package: the chart's and its subcharts'. */
function chartYamls(tgz: string): { name: string; version: string; kubeVersion?: string; path: string }[] {
    const list = execFileSync("tar", ["-tzf", tgz], { encoding: "utf8" }).split("\n").filter((f) => /(^|\/)Chart\.yaml$/.test(f));
    return list.map((p) => ({ ...(YAML.parse(execFileSync("tar", ["-xzOf", tgz, p], { encoding: "utf8" })) as { name: string; version: string; kubeVersion?: string }), path: p }));
}

describe("the table's kubeVersion facts", () => {
    it("are the Chart.yaml files of the cached charts, subcharts Helm checks included", () => {
        const defaults = servicesSchema.parse({});
        const pins: { facts: ChartFacts; repo: string }[] = [
            ...SERVICE_PLANNERS.flatMap((p) =>
                p.charts(defaults[p.key] as never).map((c) => ({ facts: SERVICE_COMPAT[p.key].charts.find((f) => f.chart === c.chart)!, repo: c.repo })),
            ),
            ...Object.entries(catalogPresets).map(([k, preset]) => ({ facts: PRESET_COMPAT[k as keyof typeof PRESET_COMPAT].charts[0], repo: preset.repo })),
        ];
        const uncached: string[] = [];
        for (const { facts, repo } of pins) {
            const tgz = chartTgz({ repo, chart: facts.chart, version: facts.version });
            if (!fs.existsSync(tgz)) {
                uncached.push(`${facts.chart} ${facts.version}`);
                continue;
            }
            // Each recorded range is declared by a Chart.yaml of the package, and the chart's own range is recorded.
            const declared = chartYamls(tgz).filter((c) => c.kubeVersion);
            for (const r of facts.kubeVersion) expect(declared.map((c) => c.kubeVersion), `${facts.chart} ${facts.version}`).toContain(r.range);
            const own = declared.find((c) => c.path === `${facts.chart}/Chart.yaml`);
            if (own) expect(facts.kubeVersion.map((r) => r.range), `${facts.chart} ${facts.version}`).toContain(own.kubeVersion);
        }
        // Recorded from their upstream repositories instead (no stack of the layer pins them).
        expect(uncached.sort()).toEqual(["docker-registry 2.2.3", "nvidia-device-plugin 0.17.1"]);
    });
});
