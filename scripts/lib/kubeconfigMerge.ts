import * as fs from "fs";
import * as yaml from "js-yaml";
import * as os from "os";
import * as path from "path";

/*
 * The stack's context in the user's kubeconfig, as k3s-ansible does for its
 * controller: its cluster, user and context entries added or replaced by
 * name, every other entry kept, the file 0600. current-context moves only
 * when asked.
 */

type Named = { name: string; [k: string]: unknown };
interface KubeconfigDoc {
    apiVersion?: string;
    kind?: string;
    clusters?: Named[];
    users?: Named[];
    contexts?: (Named & { context?: { cluster?: string; user?: string } })[];
    "current-context"?: string;
    [k: string]: unknown;
}

/** What a merge did, for the CLI to print. */
export interface MergeResult {
    text: string;
    context: string;
    /** e.g. `cluster picluster-pi replaced`, `context picluster-pi added`. */
    changes: string[];
    /** current-context after the merge (undefined: none set). */
    currentContext?: string;
}

function parse(text: string, what: string): KubeconfigDoc {
    const doc = yaml.load(text);
    if (doc === undefined || doc === null) return {};
    if (typeof doc !== "object" || Array.isArray(doc)) throw new Error(`${what} is not a kubeconfig (a YAML mapping)`);
    return doc as KubeconfigDoc;
}

/** Replaces the entry named like `entry` in `list`, or appends it; says which. */
function upsert(list: Named[], entry: Named): "added" | "replaced" {
    const i = list.findIndex((e) => e.name === entry.name);
    if (i < 0) {
        list.push(entry);
        return "added";
    }
    list[i] = entry;
    return "replaced";
}

/**
 * Merges the stack's kubeconfig (`incoming`: one cluster, user and context,
 * its current-context the context to merge) into `existing` (undefined or
 * empty: a new file). Pure.
 */
export function mergeKubeconfig(existing: string | undefined, incoming: string, opts: { use?: boolean } = {}): MergeResult {
    const from = parse(incoming, "the stack's kubeconfig output");
    const contextName = from["current-context"] ?? from.contexts?.[0]?.name;
    const context = from.contexts?.find((c) => c.name === contextName);
    if (!contextName || !context) throw new Error("the stack's kubeconfig output names no context; is the stack up (`pulumi stack output kubeconfig`)?");
    const cluster = from.clusters?.find((c) => c.name === context.context?.cluster);
    const user = from.users?.find((u) => u.name === context.context?.user);
    if (!cluster || !user) throw new Error(`the stack's kubeconfig output lacks the cluster or user its context ${contextName} names`);

    const into = parse(existing ?? "", "the existing kubeconfig");
    const doc: KubeconfigDoc = { apiVersion: "v1", kind: "Config", preferences: {}, ...into };
    doc.clusters = [...(into.clusters ?? [])];
    doc.users = [...(into.users ?? [])];
    doc.contexts = [...(into.contexts ?? [])];
    const changes = [`cluster ${cluster.name} ${upsert(doc.clusters, cluster)}`, `user ${user.name} ${upsert(doc.users, user)}`, `context ${context.name} ${upsert(doc.contexts, context)}`];
    if (opts.use) doc["current-context"] = contextName;
    return { text: yaml.dump(doc, { lineWidth: -1, noRefs: true }), context: contextName, changes, currentContext: doc["current-context"] };
}

/** The file kubectl reads first: $KUBECONFIG's first entry, else ~/.kube/config. */
export function kubeconfigPath(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
    const first = (env.KUBECONFIG ?? "").split(path.delimiter).find((p) => p.length > 0);
    return first ?? path.join(home, ".kube", "config");
}

/** Writes `text` to `file` with mode 0600 (also when the file was looser), replacing it atomically. */
export function writePrivate(path_: string, text: string): void {
    // A symlinked kubeconfig (dotfiles) stays a link: its target is what changes.
    const file = fs.existsSync(path_) ? fs.realpathSync(path_) : path_;
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.picluster-${process.pid}`);
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
}
