import * as yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { Picluster } from "../../../components/picluster";
import { objectSource } from "../../../config/source";
import { planStack } from "../../../plan/plan";
import { isSecret, plainOccurrences, RegisteredResource, registeredResources, resetRegistry, valueOf } from "../../helpers/mocks";

const CLIENT_KEY = "Y2xpZW50LWtleS1zZWNyZXQ=";
const k3sKubeconfig = yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "default", cluster: { server: "https://10.0.0.5:6443" } }],
    users: [{ name: "default", user: { "client-key-data": CLIENT_KEY } }],
});

describe("an existing cluster", () => {
    it("touches no node: no commands, only a provider from the given kubeconfig", async () => {
        resetRegistry();
        const p = new Picluster("ext", planStack(objectSource("ext", { cluster: { k3sVersion: "v1.33.5+k3s1", kubeconfig: k3sKubeconfig } }, ["cluster"])));
        await valueOf(p.kubeconfig);
        const registered = await registeredResources();
        expect(registered.filter((r) => r.type.startsWith("command:"))).toEqual([]);
        const provider = registered.find((r) => r.type === "pulumi:providers:kubernetes") as RegisteredResource;
        expect(plainOccurrences(provider.inputs, CLIENT_KEY)).toEqual([]);
        expect(await isSecret(p.kubeconfig)).toBe(true);
    });
});
