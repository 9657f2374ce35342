import { Picluster } from "./components/picluster";
import { loadConfig } from "./stacks/config";
import { limitStackTraces } from "./stacks/runtime";

limitStackTraces();
const config = loadConfig();
const picluster = new Picluster("picluster", config);

export const kubeconfig = picluster.kubeconfig;
export const nodes = picluster.nodes;
export const endpoints = picluster.endpoints;
export const credentials = picluster.credentials;
export const orchestratorKubeconfig = picluster.orchestratorKubeconfig;
