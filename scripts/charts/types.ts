/** Rendered files of a stack, by path (what `npm run render` writes). */
export type Rendered = Map<string, string>;

/** A pod to judge: where it comes from, its namespace, its metadata and spec. */
export interface PodToJudge {
    id: string;
    namespace: string;
    metadata: Record<string, unknown>;
    spec: Record<string, unknown>;
}
