import { Picluster } from "./components/picluster";
import { planStack } from "./plan/plan";
import { limitStackTraces } from "./config/runtime";

limitStackTraces();
// Every check runs here; nothing is registered unless the whole plan holds.
const picluster = new Picluster("picluster", planStack());

export const kubeconfig = picluster.kubeconfig;
export const nodes = picluster.nodes;
export const endpoints = picluster.endpoints;
export const credentials = picluster.credentials;
export const urls = picluster.urls;
export const caCertificate = picluster.caCertificate;
export const orchestratorKubeconfig = picluster.orchestratorKubeconfig;
