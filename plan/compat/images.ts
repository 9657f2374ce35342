import { satisfies } from "../../config/semver";

/*
 * Which image lines upstream still maintains: the maintenance half of the
 * compatibility table. Pure data plus lookups; `IMAGE_SUPPORT` is exported
 * for other tools (an outdated-images report) as well as for the plan.
 */

/** maintained: upstream still ships fixes; frozen: published but never updated again; eol: past upstream's end of life. */
export type ImageStatus = "maintained" | "frozen" | "eol";

/** One line of an image repository's maintenance, with its upstream source. */
export interface ImageSupport {
    /**
     * The repository as a reference names it, with Docker Hub's `docker.io/`
     * and `library/` left out (`mongo`, `quay.io/minio/minio`); a trailing
     * `/*` covers every repository below (`bitnamilegacy/*`).
     */
    repository: string;
    /** Helm-style constraint on the tag's leading version (`<7.0.0`, `8.0.x`); absent: every tag. */
    tags?: string;
    status: ImageStatus;
    /** ISO date the status holds from. */
    since: string;
    /** Where the fact comes from. */
    source: string;
    /** What to run instead (frozen and eol lines), as a refusal names it. */
    instead?: string;
}

/** First match wins: put narrower lines first. */
export const IMAGE_SUPPORT: readonly ImageSupport[] = [
    {
        repository: "bitnamilegacy/*",
        status: "frozen",
        since: "2025-08-28",
        source: "bitnami/containers#83267: versioned Debian images moved to docker.io/bitnamilegacy, where they get no updates",
        instead: "a chart on maintained upstream images (Rocket.Chat: services.rocketchat.mongodb; RabbitMQ: the rabbitmq preset)",
    },
    {
        repository: "bitnami/*",
        status: "frozen",
        since: "2025-08-28",
        source: "bitnami/containers#83267: docker.io/bitnami keeps only hardened `latest` images; versioned tags moved to bitnamilegacy",
        instead: "a chart on maintained upstream images",
    },
    {
        repository: "mongo",
        tags: "<7.0.0",
        status: "eol",
        since: "2025-07-31",
        source: "MongoDB lifecycle schedule (mongodb.com/legal/support-policy/lifecycles): 6.0, the last of these, ended 2025-07-31",
        instead: "mongo:8.0.26-noble",
    },
    {
        repository: "mongo",
        tags: "8.0.x",
        status: "maintained",
        since: "2024-10-02",
        source: "docker-library/mongo versions.json @2c69a57 (2026-06-11): 8.0 → 8.0.26, noble, amd64 + arm64v8",
    },
    {
        repository: "percona/mongodb_exporter",
        status: "maintained",
        since: "2022-04-20",
        source: "percona/mongodb_exporter README (multi-arch amd64/arm64 images on Docker Hub and GHCR, MongoDB 6.0 and newer); 0.49.0 pinned by CloudPirates-io/helm-charts charts/mongodb @42c4b8d",
    },
    {
        repository: "rabbitmq",
        status: "maintained",
        since: "2017-06-19",
        source: "docker-library/official-images library/rabbitmq (amd64, arm32v7, arm64v8, ppc64le, s390x); 4.3.5 in CloudPirates-io/helm-charts rabbitmq 0.21.18",
    },
    ...["quay.io/minio/*", "minio/*"].map(
        (repository): ImageSupport => ({
            repository,
            status: "frozen",
            since: "2025-10-15",
            source: "minio/minio README \"Source-only distribution\" and minio/minio#21647 (no images after 2025-10-15); the repository is archived since 2026-04-25",
            instead: "an S3 target outside the cluster (a NAS, a workstation, a cloud bucket)",
        }),
    ),
];

/** An image reference taken apart. */
export interface ImageRef {
    /** Normalised as in IMAGE_SUPPORT (no docker.io/, no library/). */
    repository: string;
    tag?: string;
    digest?: string;
}

/** `docker.io/library/mongo:8.0.26-noble@sha256:…` → `{ repository: "mongo", tag: "8.0.26-noble", digest }`. */
export function parseImageRef(ref: string): ImageRef {
    const [name, digest] = ref.split("@");
    const slash = name.lastIndexOf("/");
    const colon = name.indexOf(":", slash + 1);
    let repository = colon < 0 ? name : name.slice(0, colon);
    const tag = colon < 0 ? undefined : name.slice(colon + 1);
    repository = repository.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, "").replace(/^library\//, "");
    return { repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** The version a tag starts with, as x.y.z (`8.0.26-noble` → 8.0.26, `6.0` → 6.0.0); undefined for `latest`, `noble`… */
export function tagVersion(tag: string | undefined): string | undefined {
    const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(tag ?? "");
    return m ? `${m[1]}.${m[2]}.${m[3] ?? 0}` : undefined;
}

/** Whether a support line's repository pattern covers a repository. */
export function repositoryMatches(pattern: string, repository: string): boolean {
    return pattern.endsWith("/*") ? repository.startsWith(pattern.slice(0, -1)) : pattern === repository;
}

/** The support line of an image reference, or undefined when the table does not know it. */
export function imageSupport(ref: string, table: readonly ImageSupport[] = IMAGE_SUPPORT): ImageSupport | undefined {
    const { repository, tag } = parseImageRef(ref);
    const version = tagVersion(tag);
    return table.find((s) => repositoryMatches(s.repository, repository) && (s.tags === undefined || (version !== undefined && satisfies(version, s.tags))));
}
