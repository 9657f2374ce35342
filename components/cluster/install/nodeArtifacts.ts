import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { installerSha256, installerUrl, type ClusterSpec, type NodeSpec } from "../../../config/schema/cluster";

type ConnectionArgs = command.types.input.remote.ConnectionArgs;

/** Where artifacts land on a node before k3s-install.sh copies and checks them as root. */
export const ARTIFACT_DIR = "/var/tmp/picluster-artifacts";

/** The default k3s data dir, and the one a node's `dataDir` gives. */
export function k3sDataDir(node: Pick<NodeSpec, "dataDir">): string {
    return node.dataDir ? `${node.dataDir}/k3s` : "/var/lib/rancher/k3s";
}

/** A node-side file name that changes whenever the content does: `<sha256 prefix>-<name>`. */
export function artifactName(file: { path: string; sha256: string }): string {
    return `${file.sha256.slice(0, 12)}-${path.basename(file.path)}`;
}

/** The files one node needs in artifact mode, by role in the install. */
export function nodeArtifactFiles(cluster: ClusterSpec, node: NodeSpec): { installer: ArtifactRef; k3s: ArtifactRef; images?: ArtifactRef } | undefined {
    const a = cluster.artifacts;
    if (!a) return undefined;
    const k3s = a.k3s[node.arch];
    if (!k3s) throw new Error(`cluster.artifacts.k3s.${node.arch}: is missing, but node '${node.name}' is ${node.arch}; add the k3s binary for ${node.arch} with its sha256`);
    const images = a.images?.[node.arch];
    return { installer: a.installScript, k3s, ...(images ? { images } : {}) };
}
type ArtifactRef = { path: string; sha256: string };

/**
 * The non-secret environment of k3s-install.sh for one node: the installer's
 * source and checksum (or the artifacts and theirs), the data dir and the
 * bound on every wait.
 */
export function installerEnv(cluster: ClusterSpec, node: NodeSpec): Record<string, string> {
    const env: Record<string, string> = {
        READY_TIMEOUT: String(cluster.timeouts.readySeconds),
        DATA_DIR: k3sDataDir(node),
    };
    const files = nodeArtifactFiles(cluster, node);
    if (files) {
        env.ARTIFACT_DIR = ARTIFACT_DIR;
        env.INSTALLER_FILE = artifactName(files.installer);
        env.INSTALL_SHA256 = files.installer.sha256;
        env.BINARY_FILE = artifactName(files.k3s);
        env.BINARY_SHA256 = files.k3s.sha256;
        if (files.images) {
            env.IMAGES_FILE = artifactName(files.images);
            env.IMAGES_SHA256 = files.images.sha256;
        }
        return env;
    }
    env.INSTALL_URL = installerUrl(cluster);
    const sha256 = installerSha256(cluster);
    if (sha256) env.INSTALL_SHA256 = sha256;
    return env;
}

/**
 * Copies a node's artifacts from the workstation (artifact mode); the install
 * waits for the copies. Each copy is replaced when its checksum changes.
 */
export function copyArtifacts(name: string, cluster: ClusterSpec, node: NodeSpec, connection: ConnectionArgs, parent: pulumi.Resource): pulumi.Resource[] {
    const files = nodeArtifactFiles(cluster, node);
    if (!files) return [];
    return Object.entries(files).map(
        ([kind, file]) =>
            new command.remote.CopyToRemote(
                `${name}-artifact-${kind}`,
                { connection, source: new pulumi.asset.FileAsset(file.path), remotePath: `${ARTIFACT_DIR}/${artifactName(file)}`, triggers: [file.sha256] },
                { parent },
            ),
    );
}
