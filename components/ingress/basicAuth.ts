import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import bcrypt from "bcryptjs";
import { createHash } from "crypto";
import { BASIC_AUTH } from "../../plan/ingress/names";
import type { ClusterTarget } from "../cluster/clusterTarget";
import { standardLabels } from "../k8s/labels";

/**
 * bcrypt's cost: Traefik checks the password on every request (no cache), so
 * each costs 2^cost rounds; the password is 24 random characters (about 143
 * bits), which no work factor needs to protect (docs/decisions.md).
 */
export const BCRYPT_COST = 6;

/**
 * One htpasswd line, `user:$2b$06$<salt><hash>`: bcrypt of `password`, its
 * 16-byte salt taken from `seed` (a random string kept in state), so the
 * line is the same on every run.
 */
export function htpasswdLine(user: string, password: string, seed: string): string {
    const salt = bcrypt.encodeBase64(createHash("sha256").update(seed).digest().subarray(0, 16), 16);
    return `${user}:${bcrypt.hashSync(password, `$2b$${String(BCRYPT_COST).padStart(2, "0")}$${salt}`)}`;
}

/** The Traefik Middleware that asks for the login, reading the Secret's `users` (htpasswd lines). */
export function basicAuthMiddleware(): Record<string, unknown> {
    return {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        metadata: { name: BASIC_AUTH.name, namespace: BASIC_AUTH.namespace, labels: standardLabels("front-door", "basic-auth") },
        spec: { basicAuth: { secret: BASIC_AUTH.name, realm: "picluster", removeHeader: true } },
    };
}

export interface BasicAuthArgs {
    cluster: ClusterTarget;
    /** The login's user name. */
    user: string;
}

/**
 * The generated login in front of UIs without one: a random password (a
 * secret output) and a random bcrypt salt, both made once and kept in
 * state, so the htpasswd Secret is the same on every run.
 */
export class BasicAuth extends pulumi.ComponentResource {
    /** The password, secret. */
    readonly password: pulumi.Output<string>;
    readonly secret: k8s.core.v1.Secret;

    constructor(name: string, args: BasicAuthArgs, opts?: pulumi.ComponentResourceOptions) {
        super("picluster:ingress:BasicAuth", name, {}, opts);
        this.password = pulumi.secret(new random.RandomPassword(`${name}-password`, { length: 24, special: false }, { parent: this }).result);
        const salt = new random.RandomString(`${name}-salt`, { length: 32, special: false }, { parent: this }).result;
        const users = pulumi.secret(pulumi.all([this.password, salt]).apply(([p, s]) => htpasswdLine(args.user, p, s)));
        this.secret = new k8s.core.v1.Secret(
            name,
            { metadata: { name: BASIC_AUTH.name, namespace: BASIC_AUTH.namespace, labels: standardLabels("front-door", "basic-auth") }, stringData: { users } },
            { parent: this, provider: args.cluster.provider, dependsOn: args.cluster.readyResources },
        );
        this.registerOutputs({});
    }
}
