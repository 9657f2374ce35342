/**
 * The shapes every rule works on. Rules never see CrossGuard's or the mock
 * engine's objects directly: adapters (core/fromCrossGuard.ts for the real
 * pack, test/unit/policy/fromMocks.ts for tests) turn either into a
 * `ResourceView`, so the same rule code runs in `pulumi preview` and in vitest.
 */

/** Stands in for a value that is not known yet (an output of a resource still to be created, in a preview). */
export const UNKNOWN: unique symbol = Symbol.for("picluster.policy.unknown");
export type Unknown = typeof UNKNOWN;

export function isUnknown(v: unknown): v is Unknown {
    return v === UNKNOWN;
}

/** The provider a resource is bound to. */
export interface ProviderRef {
    /** `pulumi:providers:kubernetes` */
    type: string;
    /** Logical name; default providers are called `default` or `default_<version>`. */
    name: string;
    urn?: string;
}

/** One resource as the rules see it: its inputs as plain data (secrets unwrapped, unknowns as `UNKNOWN`). */
export interface ResourceView {
    /** Pulumi type token, e.g. `kubernetes:apps/v1:Deployment`. */
    type: string;
    /** Logical (Pulumi) name. */
    name: string;
    urn?: string;
    props: Record<string, unknown>;
    /** Absent when the resource uses the engine's default provider for its package. */
    provider?: ProviderRef;
    /**
     * Dotted paths (`connection.privateKey`, `values.auth.password`) whose value
     * is a Pulumi secret. `undefined` means the caller cannot tell: CrossGuard
     * 1.21 unwraps secrets before `validateResource`/`validateStack`, so the
     * real pack never knows; the mock adapter does.
     */
    secretPaths?: ReadonlySet<string>;
}

/**
 * Whether the value at `path` is a secret: the SDK marks the whole input
 * (`connection`) secret when any value inside it is, so ancestors count.
 * `undefined` when the caller cannot tell.
 */
export function isSecretAt(r: ResourceView, path: string): boolean | undefined {
    if (!r.secretPaths) return undefined;
    const parts = path.split(".");
    for (let i = parts.length; i > 0; i--) if (r.secretPaths.has(parts.slice(0, i).join("."))) return true;
    return false;
}

export type EnforcementLevel = "mandatory" | "advisory";

/** What every rule documents about itself (docs/policy.md is the table of these). */
export interface RuleInfo {
    /** Kebab-case id; also the word used in exemptions. */
    name: string;
    /** One line: what the rule requires. */
    description: string;
    /** Why: the failure this prevents. */
    reason: string;
    /** Where the rule comes from: PSS control, kube-score check, Polaris check, Checkov id, or a project decision. */
    anchor: string;
    enforcementLevel: EnforcementLevel;
}

/** A rule judged one resource at a time. `validate` returns one message per problem; none means pass. */
export interface ResourceRule extends RuleInfo {
    scope: "resource";
    /** Whether the rule concerns this resource at all (used for "not applicable" and coverage). */
    appliesTo(resource: ResourceView): boolean;
    validate(resource: ResourceView): string[];
}

/** A problem a stack rule found, pinned to the resource that has to change. */
export interface StackViolation {
    resource: ResourceView;
    message: string;
}

/** A rule that needs the whole program (e.g. "a PDB exists for this Deployment"). */
export interface StackRule extends RuleInfo {
    scope: "stack";
    validate(resources: readonly ResourceView[]): StackViolation[];
}

export type Rule = ResourceRule | StackRule;
