import * as YAML from "yaml";
import { repoKey } from "../../config/chartIndex";

/*
 * Where `npm run outdated -- --online` asks for releases: a chart
 * repository's index.yaml, an OCI registry's tag list (charts and images,
 * anonymous token as registries hand out for public repositories), GitHub's
 * releases of k3s and the history of its install.sh. Each source gets one
 * bounded wait (AbortSignal.timeout) for all its requests; a source that does
 * not answer is reported as unreachable with the reason, never guessed.
 */

/** The part of fetch these lookups use (tests pass a fake). */
export type FetchLike = (url: string, init: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<{
    ok: boolean;
    status: number;
    headers: { get(name: string): string | null };
    text(): Promise<string>;
}>;

/** What a source answered: the versions it lists, or why it could not be asked. */
export type Lookup = { versions: string[] } | { unreachable: string };

const MAX_PAGES = 20;

/** Docker Hub's short names (`redis`, `amazon/aws-cli`) → registry host and repository path. */
export function registryOf(image: string): { host: string; path: string } {
    const first = image.split("/")[0];
    if (image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")) {
        return { host: first === "docker.io" ? "registry-1.docker.io" : first, path: image.slice(first.length + 1) };
    }
    return { host: "registry-1.docker.io", path: image.includes("/") ? image : `library/${image}` };
}

function reason(e: unknown): string {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return "no answer within the timeout";
    return err.cause?.code ?? err.cause?.message ?? err.message;
}

export class OnlineSources {
    private readonly seen = new Map<string, Promise<{ value: unknown } | { unreachable: string }>>();

    constructor(
        private readonly fetchFn: FetchLike = fetch as unknown as FetchLike,
        /** One source's budget for all its requests. */
        readonly timeoutMs = 15_000,
    ) {}

    /** Runs `ask` once per source, within the source's budget; an error becomes `unreachable`, naming the source. */
    private once<T>(source: string, ask: (signal: AbortSignal) => Promise<T>): Promise<{ value: T } | { unreachable: string }> {
        let p = this.seen.get(source);
        if (!p) {
            const signal = AbortSignal.timeout(this.timeoutMs);
            p = ask(signal).then(
                (value) => ({ value }),
                (e: unknown) => ({ unreachable: `${source}: ${reason(e)}` }),
            );
            this.seen.set(source, p);
        }
        return p as Promise<{ value: T } | { unreachable: string }>;
    }

    private async versions(source: string, ask: (signal: AbortSignal) => Promise<string[]>): Promise<Lookup> {
        const r = await this.once(source, ask);
        return "unreachable" in r ? r : { versions: r.value };
    }

    private async get(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<string> {
        const res = await this.fetchFn(url, { headers, signal });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return res.text();
    }

    /** The versions of a chart: its repository's index.yaml, or the OCI registry's tags. */
    async chartVersions(repo: string, chart: string): Promise<Lookup> {
        if (repo.startsWith("oci://")) return this.tags(`${repoKey(repo).slice("oci://".length)}/${chart}`);
        const url = `${repoKey(repo)}/index.yaml`;
        const index = await this.once(url, async (signal) => (YAML.parse(await this.get(url, signal)) as { entries?: Record<string, { version: string }[]> } | null)?.entries ?? {});
        if ("unreachable" in index) return index;
        const versions = (index.value[chart] ?? []).map((e) => e.version);
        return versions.length > 0 ? { versions } : { unreachable: `${url}: lists no chart named ${chart}` };
    }

    /** An image repository's tags (OCI distribution API, anonymous bearer token when the registry asks for one). */
    tags(image: string): Promise<Lookup> {
        const { host, path } = registryOf(image);
        return this.versions(`https://${host}/v2/${path}/tags/list`, async (signal) => {
            let url: string | undefined = `https://${host}/v2/${path}/tags/list?n=1000`;
            let headers: Record<string, string> = {};
            const tags: string[] = [];
            for (let page = 0; url && page < MAX_PAGES; page++) {
                let res = await this.fetchFn(url, { headers, signal });
                if (res.status === 401 && page === 0) {
                    headers = { authorization: `Bearer ${await this.token(res.headers.get("www-authenticate"), path, signal)}` };
                    res = await this.fetchFn(url, { headers, signal });
                }
                if (!res.ok) throw new Error(`HTTP ${res.status}`);
                tags.push(...((JSON.parse(await res.text()) as { tags?: string[] | null }).tags ?? []));
                const next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get("link") ?? "")?.[1];
                url = next ? new URL(next, `https://${host}`).toString() : undefined;
            }
            return tags;
        });
    }

    /** The anonymous pull token a `WWW-Authenticate: Bearer realm=…,service=…` challenge names. */
    private async token(challenge: string | null, path: string, signal: AbortSignal): Promise<string> {
        const params = Object.fromEntries([...(challenge ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (!params.realm) throw new Error("HTTP 401 without a bearer challenge");
        const url = new URL(params.realm);
        if (params.service) url.searchParams.set("service", params.service);
        url.searchParams.set("scope", params.scope ?? `repository:${path}:pull`);
        const body = JSON.parse(await this.get(url.toString(), signal)) as { token?: string; access_token?: string };
        const token = body.token ?? body.access_token;
        if (!token) throw new Error(`${url.host} gave no token`);
        return token;
    }

    /** k3s's releases (GitHub, newest 100; pre-releases left out). */
    k3sReleases(): Promise<Lookup> {
        const url = "https://api.github.com/repos/k3s-io/k3s/releases?per_page=100";
        return this.versions(url, async (signal) => {
            const list = JSON.parse(await this.get(url, signal, { accept: "application/vnd.github+json" })) as { tag_name: string; prerelease: boolean; draft: boolean }[];
            return list.filter((r) => !r.prerelease && !r.draft).map((r) => r.tag_name);
        });
    }

    /**
     * Whether install.sh at `commit` is k3s's newest: versions holds the
     * newest commit that changed it, and "current" when `commit` already
     * includes that change.
     */
    installer(commit: string): Promise<Lookup> {
        const api = "https://api.github.com/repos/k3s-io/k3s";
        return this.versions(`${api}/commits?path=install.sh`, async (signal) => {
            const headers = { accept: "application/vnd.github+json" };
            const [last] = JSON.parse(await this.get(`${api}/commits?path=install.sh&per_page=1`, signal, headers)) as { sha: string; commit: { committer: { date: string } } }[];
            if (!last) throw new Error("no commit touches install.sh");
            if (last.sha === commit) return [last.sha, "current"];
            const cmp = JSON.parse(await this.get(`${api}/compare/${last.sha}...${commit}`, signal, headers)) as { status: string };
            return [last.sha, cmp.status === "ahead" || cmp.status === "identical" ? "current" : `changed ${last.commit.committer.date.slice(0, 10)}`];
        });
    }
}
