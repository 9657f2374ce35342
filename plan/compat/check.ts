import type { PiclusterConfig } from "../../config/load";
import { NAMESPACE } from "../../config/load";
import { satisfies } from "../../config/semver";
import type { Arch } from "../../config/arch";
import { ROCKETCHAT_MONGODB_VERSION, rocketchatMongodbImage as mongodbImage } from "../../config/schema/services";
import { matches, nodeCapacities, type WorkloadDemand } from "../capacity";
import type { PinnedChart } from "../charts";
import type { PlatformPlan } from "../platform";
import type { Values } from "../values";
import { MONGODB_SERIES, PRESET_COMPAT, ROCKETCHAT_DATABASE, SERVICE_COMPAT, type ChartFacts, type CompatEntry } from "./facts";
import { imageSupport, parseImageRef, repositoryMatches } from "./images";

/*
 * The compatibility table checked against the plan: each chart's kubeVersion
 * against the k3s pin, Rocket.Chat's database floor against the MongoDB it
 * gets, each image's published architectures against the nodes the plan may
 * place it on, and each image's maintenance. One line per violation, naming
 * both sides and the fix.
 */

type Config = Pick<PiclusterConfig, "cluster" | "services" | "backups" | "apps" | "agentHost" | "workerAgents">;
const key = (path: string) => `${NAMESPACE}:${path}`;
/** The runbook a refused MongoDB version points to. */
export const MONGODB_RUNBOOK = 'docs/services.md, "MongoDB 6.0 → 8.0"';


function allCharts(): ChartFacts[] {
    return [...Object.values(SERVICE_COMPAT), ...Object.values(PRESET_COMPAT)].flatMap((e) => e.charts);
}

/** Whether the table's facts describe the charts as pinned (so their images and ranges apply). */
const factsApply = (entry: CompatEntry, pinned: { chart: string; version: string }[]) => entry.charts.every((f) => pinned.some((p) => p.chart === f.chart && p.version === f.version));

/** Each pinned chart's kubeVersion against the k3s pin; a recorded chart at an unrecorded version is a warning. */
export function kubeVersionProblems(charts: PinnedChart[], k3sVersion: string): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const facts = allCharts();
    const kube = k3sVersion.replace(/^v/, "").replace(/\+.*$/, "");
    for (const c of charts) {
        const f = facts.find((x) => x.chart === c.chart && x.version === c.version);
        if (!f) {
            const known = facts.filter((x) => x.chart === c.chart).map((x) => x.version);
            if (known.length > 0) warnings.push(`${key(c.at)} = "${c.version}": the compatibility table (plan/compat/facts.ts) records ${c.chart} ${known.join(", ")} only, so this version's kubeVersion, images' architectures and maintenance are not checked; add its facts`);
            continue;
        }
        for (const r of f.kubeVersion) {
            if (satisfies(k3sVersion, r.range)) continue;
            const minor = kube.split(".").slice(0, 2).join(".");
            problems.push(
                `${key(c.at)} = "${c.version}": ${r.declaredBy} declares kubeVersion "${r.range}" (Chart.yaml) and cluster.k3sVersion is ${k3sVersion} (Kubernetes ${kube}), so Helm would refuse the install; pin a chart release that supports Kubernetes ${minor}, or a k3s release inside "${r.range}"`,
            );
        }
    }
    return { problems, warnings };
}

/** Rocket.Chat's MongoDB floor and the series the table knows, against services.rocketchat.mongodb.version. */
export function databaseProblems(services: Config["services"]): { problems: string[]; warnings: string[] } {
    const rc = services.rocketchat;
    if (!rc.enabled) return { problems: [], warnings: [] };
    const at = key("services.rocketchat.mongodb.version");
    const version = rc.mongodb.version;
    const series = version.split(".").slice(0, 2).join(".");
    const floor = ROCKETCHAT_DATABASE[rc.version];
    const runbook = `an existing database on another series is never opened in place: dump, install, restore (${MONGODB_RUNBOOK})`;
    if (floor && !satisfies(version, floor.mongodb)) {
        return {
            problems: [`${at} = "${version}": Rocket.Chat ${floor.app} (chart rocketchat ${rc.version}) needs MongoDB ${floor.mongodb} (${floor.source}) and would get ${version}; set it to ${ROCKETCHAT_MONGODB_VERSION} (the default) or another ${MONGODB_SERIES.join("/")}.x release; ${runbook}`],
            warnings: [],
        };
    }
    if (!(MONGODB_SERIES as readonly string[]).includes(series)) {
        return { problems: [`${at} = "${version}": MongoDB ${series} is not in the compatibility table (plan/compat/facts.ts knows ${MONGODB_SERIES.join(", ")}); stay on ${ROCKETCHAT_MONGODB_VERSION} or another ${MONGODB_SERIES.join("/")}.x release, or add its facts; ${runbook}`], warnings: [] };
    }
    return floor ? { problems: [], warnings: [] } : { problems: [], warnings: [`${key("services.rocketchat.version")} = "${rc.version}": the compatibility table records no database floor for this chart; Rocket.Chat's MongoDB ${version} is not checked against it`] };
}

/** One entry's images against the architectures of the nodes its demands may land on. */
export function archProblems(where: string, entry: CompatEntry, demandsOf: (runs: string | undefined) => WorkloadDemand[], nodes: Config["cluster"]["nodes"], fix: string): string[] {
    const caps = nodeCapacities(nodes);
    const problems: string[] = [];
    for (const img of entry.images) {
        for (const d of demandsOf(img.runs)) {
            const on = caps.filter((n) => matches(n, d));
            const missing = [...new Set(on.map((n) => n.arch))].filter((a): a is Arch => !img.arches.includes(a));
            for (const arch of missing) {
                const names = on.filter((n) => n.arch === arch).map((n) => n.name);
                problems.push(`${key(where)}: image ${img.image} is published for ${img.arches.join(", ")} only and the plan may place ${d.name} on ${arch} nodes (${names.join(", ")}); ${fix}`);
            }
        }
    }
    return problems;
}

/** Image references set anywhere in Helm values: `image: ref`, or `repository` with its `tag` (and `registry`). */
export function valueImages(values: unknown): string[] {
    if (Array.isArray(values)) return values.flatMap(valueImages);
    if (values === null || typeof values !== "object") return [];
    const v = values as Values;
    const own = typeof v.repository === "string" ? [`${typeof v.registry === "string" && v.registry ? `${v.registry}/` : ""}${v.repository}${typeof v.tag === "string" && v.tag ? `:${v.tag}` : ""}`] : [];
    const direct = typeof v.image === "string" ? [v.image] : [];
    return [...own, ...direct, ...Object.values(v).flatMap(valueImages)];
}

/** The table's images of an entry, and those its values name besides (a repository the table knows is named once). */
function withValues(at: string, known: string[], fromValues: string[]): { at: string; image: string }[] {
    const repos = new Set(known.map((i) => parseImageRef(i).repository));
    return [...known.map((image) => ({ at, image })), ...fromValues.filter((i) => !repos.has(parseImageRef(i).repository)).map((image) => ({ at: `${at} values`, image }))];
}

/** Every image the plan runs or names, with the key that brings it. */
export function imagesInUse(config: Config, platform: Pick<PlatformPlan, "catalog" | "charts">): { at: string; image: string }[] {
    const s = config.services;
    const out: { at: string; image: string }[] = [];
    const pinnedOf = (prefix: string) => platform.charts.filter((c) => c.at.startsWith(prefix));
    for (const [svc, entry] of Object.entries(SERVICE_COMPAT) as [keyof typeof SERVICE_COMPAT, CompatEntry][]) {
        const on = pinnedOf(`services.${svc === "storage" ? "storage.longhorn" : svc}.`);
        if (on.length === 0) continue;
        const known = factsApply(entry, on) ? entry.images.filter((i) => i.image.includes(":")).map((i) => i.image) : [];
        const values = svc === "storage" ? s.storage.longhorn.values : (s[svc] as { values?: Values }).values;
        out.push(...withValues(`services.${svc}`, known, valueImages(values ?? {})));
    }
    // Another series is refused by databaseProblems, which names the runbook.
    const series = s.rocketchat.mongodb.version.split(".").slice(0, 2).join(".");
    if (s.rocketchat.enabled && (MONGODB_SERIES as readonly string[]).includes(series)) out.push({ at: "services.rocketchat.mongodb.version", image: mongodbImage(s.rocketchat.mongodb.version) });
    s.catalog.forEach((entry, i) => {
        const planned = platform.catalog.find((c) => c.resolved.name === entry.name);
        if (!entry.enabled || !planned) return;
        const at = `services.catalog[${i}]${entry.preset ? ` (preset ${entry.preset})` : ""}`;
        const { resolved } = planned;
        const facts = entry.preset ? PRESET_COMPAT[entry.preset] : undefined;
        const known = facts && factsApply(facts, [resolved.chart]) ? facts.images.map((img) => img.image) : [];
        out.push(...withValues(at, known, [...valueImages(resolved.defaults), ...valueImages(resolved.values)]));
    });
    if (config.backups.s3) out.push({ at: "backups.mongodb.dumpImage", image: config.backups.mongodb.dumpImage }, { at: "backups.mongodb.uploadImage", image: config.backups.mongodb.uploadImage });
    config.apps.forEach((a, i) => a.enabled && out.push({ at: `apps[${i}].image`, image: a.image }));
    if (config.agentHost.enabled) {
        if (config.agentHost.image) out.push({ at: "agentHost.image", image: config.agentHost.image });
        out.push({ at: "agentHost.redis.image", image: config.agentHost.redis.image });
    }
    if (config.workerAgents.enabled) config.workerAgents.templates.forEach((t, i) => out.push({ at: `workerAgents.templates[${i}].image`, image: t.image }));
    return out;
}

/** Frozen and end-of-life images: refused, or warned where services.acceptUnmaintained accepts them (an existing install). */
export function maintenanceProblems(uses: { at: string; image: string }[], accepted: string[]): { problems: string[]; warnings: string[] } {
    const problems: string[] = [];
    const warnings: string[] = [];
    const seen = new Set<string>();
    const used = new Set<string>();
    for (const { at, image } of uses) {
        const support = imageSupport(image);
        if (!support || support.status === "maintained") continue;
        const { repository } = parseImageRef(image);
        const accept = accepted.find((a) => repositoryMatches(a, repository) || a === support.repository);
        if (seen.has(`${at} ${repository}`)) continue;
        seen.add(`${at} ${repository}`);
        const what = `image ${image} is ${support.status === "eol" ? "past its end of life" : "frozen"} since ${support.since} (${support.source})`;
        if (accept) {
            used.add(accept);
            warnings.push(`${key(at)}: ${what}; accepted by services.acceptUnmaintained for an existing install: move to ${support.instead ?? "a maintained image"}`);
        } else {
            problems.push(`${key(at)}: ${what}; use ${support.instead ?? "a maintained image"}. For an install that already runs it, accept it with services.acceptUnmaintained: ["${repository}"] (warned on every preview)`);
        }
    }
    for (const a of accepted) if (!used.has(a)) warnings.push(`${key("services.acceptUnmaintained")} lists "${a}", which no frozen or end-of-life image in the plan matches; remove it`);
    return { problems, warnings };
}

/** The whole table against the plan. */
export function compatProblems(config: Config, platform: Pick<PlatformPlan, "catalog" | "charts" | "demands">): { problems: string[]; warnings: string[] } {
    const kube = kubeVersionProblems(platform.charts, config.cluster.k3sVersion);
    const db = databaseProblems(config.services);
    const maint = maintenanceProblems(imagesInUse(config, platform), config.services.acceptUnmaintained);
    const nodes = config.cluster.nodes;
    const arch: string[] = [];
    const byRuns = (runs: string | undefined) => platform.demands.filter((d) => runs !== undefined && (runs.endsWith("/") ? d.name.startsWith(runs) : d.name === runs));
    for (const [svc, entry] of Object.entries(SERVICE_COMPAT) as [keyof typeof SERVICE_COMPAT, CompatEntry][]) {
        const pinned = platform.charts.filter((c) => c.at.startsWith(`services.${svc === "storage" ? "storage.longhorn" : svc}.`));
        if (pinned.length > 0 && factsApply(entry, pinned)) arch.push(...archProblems(`services.${svc}`, entry, byRuns, nodes, `place it on the other architecture (services.${svc}.placement.arch) or remove the arch from those nodes' reach`));
    }
    config.services.catalog.forEach((entry, i) => {
        const planned = platform.catalog.find((c) => c.resolved.name === entry.name);
        const facts = entry.preset ? PRESET_COMPAT[entry.preset] : undefined;
        if (!entry.enabled || !planned || !facts || !factsApply(facts, [planned.resolved.chart])) return;
        const own = () => platform.demands.filter((d) => d.name === `catalog/${entry.name}`);
        const shared = facts.images.reduce<readonly Arch[]>((acc, x) => acc.filter((a) => x.arches.includes(a)), ["amd64", "arm64"]);
        arch.push(...archProblems(`services.catalog[${i}]`, facts, own, nodes, `set services.catalog[${i}].arch: ${shared.join(" or ")}`));
    });
    return { problems: [...kube.problems, ...db.problems, ...arch, ...maint.problems], warnings: [...kube.warnings, ...db.warnings, ...maint.warnings] };
}
