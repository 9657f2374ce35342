import type { ResourceView } from "./types";

/**
 * What the program declared for each resource, by URN.
 *
 * CrossGuard gives `validateResource` a resource's inputs, but `validateStack`
 * its outputs: for a resource that already exists, the live object with
 * everything the API server defaulted (a Deployment without `spec.replicas`
 * comes back with `replicas: 1`). Stack rules judge what the program declares,
 * so the pack records each resource's inputs as they pass `validateResource`
 * (the engine analyses every resource before the stack) and stack rules see
 * those instead; a resource never seen keeps its outputs.
 */
export class DeclaredInputs {
    private readonly byUrn = new Map<string, Record<string, unknown>>();

    record(view: ResourceView): void {
        if (view.urn) this.byUrn.set(view.urn, view.props);
    }

    /** `views` with each recorded resource's props replaced by its declared inputs. */
    apply(views: ResourceView[]): ResourceView[] {
        return views.map((v) => {
            const declared = v.urn ? this.byUrn.get(v.urn) : undefined;
            return declared ? { ...v, props: declared } : v;
        });
    }
}
